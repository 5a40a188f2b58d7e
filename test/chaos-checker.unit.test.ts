import { describe, expect, it } from 'vitest';
import { check, type ElectionFinalState, type LogVote } from '../scripts/chaos/checker.ts';
import type { HistoryEvent } from '../scripts/chaos/history.ts';
import { longestAckGap } from '../scripts/chaos/run.ts';
import { Prng } from '../scripts/chaos/prng.ts';

const E = 'e1';
const vote = (voteId: string, userId: string, optionId: string, partition: number, position: string): LogVote => ({
  voteId,
  userId,
  optionId,
  partition,
  position,
});

/** A consistent run: alice votes twice (second a duplicate), bob once, carol after the close marker. */
function scenario() {
  let t = 0;
  const history: HistoryEvent[] = [];
  const attempt = (process: string, userId: string, optionId: string, outcome: 'ok' | 'fail' | 'info', voteId?: string) => {
    history.push({ t: t++, type: 'invoke', f: 'vote', process, electionId: E, userId, optionId });
    history.push({ t: t++, type: outcome, f: 'vote', process, electionId: E, userId, optionId, ...(voteId ? { voteId } : {}) });
  };
  attempt('v1', 'alice', 'a', 'ok', 'va1');
  attempt('v2', 'alice', 'b', 'info');
  attempt('v3', 'bob', 'b', 'ok', 'vb1');
  attempt('v4', 'carol', 'a', 'ok', 'vc1');
  attempt('v5', 'dave', 'a', 'fail');
  const logVotes = [
    vote('va1', 'alice', 'a', 0, '0001'),
    vote('va2', 'alice', 'b', 0, '0002'),
    vote('vb1', 'bob', 'b', 1, '0001'),
    vote('vc1', 'carol', 'a', 1, '0009'),
  ];
  const final: ElectionFinalState = {
    electionId: E,
    options: ['a', 'b'],
    logVotes,
    markers: new Map([
      [0, '0005'],
      [1, '0005'],
    ]),
    store: {
      counts: { a: 1, b: 1 },
      accepted: 4,
      duplicates: 1,
      afterClose: 1,
      counted: [
        { voteId: 'va1', userId: 'alice' },
        { voteId: 'vb1', userId: 'bob' },
      ],
    },
    live: { a: 1, b: 1 },
    official: { accepted: 4, counted: 2, rejected: { duplicate: 1, 'after-close': 1 }, counts: { a: 1, b: 1 }, liveMatched: true },
  };
  return { history, final };
}

describe('chaos checker', () => {
  it('passes a consistent history and final state', () => {
    const { history, final } = scenario();
    const result = check(history, [final]);
    expect(result.problems).toEqual([]);
    expect([result.lost, result.double, result.mismatch]).toEqual([0, 0, 0]);
    expect(result.expected[E]).toEqual({ counted: 2, duplicates: 1, afterClose: 1, accepted: 4 });
  });

  it('counts an acknowledged vote missing from the log as lost', () => {
    const { history, final } = scenario();
    const result = check(history, [{ ...final, logVotes: final.logVotes.filter((v) => v.voteId !== 'vb1') }]);
    expect(result.lost).toBeGreaterThanOrEqual(1);
    expect(result.problems.join('\n')).toContain('vb1 was acknowledged');
  });

  it('counts a first vote the DynamoDB fold does not count as lost', () => {
    const { history, final } = scenario();
    const result = check(history, [{ ...final, store: { ...final.store, counted: [{ voteId: 'va1', userId: 'alice' }] } }]);
    expect(result.lost).toBe(1);
  });

  it('counts a user counted twice, and a counted duplicate, as double', () => {
    const { history, final } = scenario();
    const twice = [...final.store.counted, { voteId: 'va2', userId: 'alice' }];
    const result = check(history, [{ ...final, store: { ...final.store, counted: twice } }]);
    expect(result.double).toBe(2); // alice twice, and va2 is not the first in log order
  });

  it('counts a vote after the close marker that is counted as double', () => {
    const { history, final } = scenario();
    const counted = [...final.store.counted, { voteId: 'vc1', userId: 'carol' }];
    expect(check(history, [{ ...final, store: { ...final.store, counted } }]).double).toBe(1);
  });

  it('counts disagreeing live, fold and official counts as mismatches', () => {
    const { history, final } = scenario();
    expect(check(history, [{ ...final, live: { a: 2, b: 1 } }]).mismatch).toBe(1);
    expect(check(history, [{ ...final, store: { ...final.store, counts: { a: 1, b: 2 } } }]).mismatch).toBe(1);
    expect(check(history, [{ ...final, official: { ...final.official!, accepted: 5 } }]).mismatch).toBe(1);
    expect(check(history, [{ ...final, official: { ...final.official!, liveMatched: false } }]).mismatch).toBe(1);
    expect(check(history, [{ ...final, official: undefined }]).mismatch).toBe(1);
  });

  it('requires the reconciliation to account for after-close votes logged after the recount, exactly', () => {
    const { history, final } = scenario();
    const snapshot = { ...final.official!, accepted: 3, rejected: { duplicate: 1, 'after-close': 0 } };
    const late = check(history, [{ ...final, official: snapshot }]);
    expect(late.mismatch).toBe(1);
    expect(late.problems.join('\n')).toContain('official reconciliation');
    const more = { ...final.official!, accepted: 5, rejected: { duplicate: 1, 'after-close': 2 } };
    expect(check(history, [{ ...final, official: more }]).mismatch).toBe(1);
    const lessCounted = { ...final.official!, accepted: 3, rejected: { duplicate: 0, 'after-close': 1 } };
    expect(check(history, [{ ...final, official: lessCounted }]).mismatch).toBe(1);
  });

  it("compares urna verify's recount of the export with the log, and counts a failed verification", () => {
    const { history, final } = scenario();
    const totals = { accepted: 4, counted: 2, duplicates: 1, afterClose: 1, counts: { a: 1, b: 1 } };
    expect(check(history, [{ ...final, verified: { ok: true, ...totals } }]).mismatch).toBe(0);
    expect(check(history, [{ ...final, verified: { ok: true, ...totals, afterClose: 0, accepted: 3 } }]).mismatch).toBe(1);
    expect(check(history, [{ ...final, verified: { ok: true, ...totals, counts: { a: 2, b: 0 } } }]).mismatch).toBe(1);
    const failed = check(history, [{ ...final, verified: { ok: false, message: 'root mismatch' } }]);
    expect(failed.mismatch).toBe(1);
    expect(failed.problems.join('\n')).toContain('urna verify on the export: root mismatch');
    const unserved = check(history, [{ ...final, verified: { ok: false, unavailable: true, message: 'the export is not served (409)' } }]);
    expect([unserved.mismatch, unserved.unverified]).toEqual([0, 1]);
    expect(unserved.notes).toEqual([`unverified: ${E} the export is not served (409)`]);
  });

  it('counts a log vote of a user whose attempts all failed as a phantom', () => {
    const { history, final } = scenario();
    const result = check(history, [{ ...final, logVotes: [...final.logVotes, vote('vd1', 'dave', 'a', 1, '0010')] }]);
    expect(result.problems.join('\n')).toContain('phantom');
    expect(result.mismatch).toBeGreaterThanOrEqual(1);
  });

  it('counts SSE totals going backwards for one client as a mismatch', () => {
    const { history, final } = scenario();
    const sse = (t: number, total: number): HistoryEvent => ({ t, type: 'ok', f: 'sse', process: 'sse-0', electionId: E, total });
    expect(check([...history, sse(100, 1), sse(101, 2), sse(102, 2)], [final]).mismatch).toBe(0);
    expect(check([...history, sse(100, 1), sse(101, 2), sse(102, 1)], [final]).mismatch).toBe(1);
  });

  it('measures the longest stretch without an acknowledged vote while an election is open', () => {
    const ok = (t: number): HistoryEvent => ({ t, type: 'ok', f: 'vote', process: 'v', electionId: E });
    const events = [
      ok(3_000),
      ok(4_000),
      { t: 4_500, type: 'invoke', f: 'nemesis', process: 'n', fault: 'kill', target: 'redis' } as const,
      ok(9_000),
      ok(10_000),
    ];
    const gap = longestAckGap(events, [{ id: E, options: ['a'], opensAt: 0, closesAt: 11_000 }], 0);
    expect(gap).toEqual({ ms: 5_000, from: 4_000, fault: 'kill redis at 4500 ms' });
  });

  it('draws the same numbers from the same seed, and independent streams by label', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    expect(Array.from({ length: 5 }, () => a.uint32())).toEqual(Array.from({ length: 5 }, () => b.uint32()));
    expect(new Prng(42).fork('x').next()).not.toBe(new Prng(42).fork('y').next());
  });
});
