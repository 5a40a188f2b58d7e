import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILPOINTS } from '@urna/service-kit';
import { check } from '../scripts/chaos/checker.ts';
import { readFinalState } from '../scripts/chaos/final-state.ts';
import { HistoryRecorder } from '../scripts/chaos/history.ts';
import { eventually, randomName } from './helpers.ts';
import { api, createElection, startTestStack, type TestStack } from './stack.ts';

/**
 * Every failpoint of the projections and the recount, armed `crash-once` in one stack: each
 * process dies by SIGKILL at the exact point (the Nth time it passes there), its supervisor
 * restarts it, and the chaos checker then finds every acknowledged vote counted exactly once
 * in the log, the DynamoDB fold, the live tally and the official recount.
 */
const ARMED = [
  'live.after-read=crash-once@2',
  'live.after-lua=crash-once@3',
  'live.before-ack=crash-once@4',
  'store.after-read=crash-once@2',
  'store.after-write=crash-once@3',
  'store.before-ack=crash-once@4',
  'transparency.after-read=crash-once@2',
  'transparency.before-ack=crash-once@3',
  'recount.mid-fold=crash-once@5',
  'recount.after-official-write=crash-once',
].join(',');

describe('failpoints: a crash at each point of the projections and the recount', () => {
  let s: TestStack;
  const state = mkdtempSync(join(tmpdir(), 'urna-failpoints-'));
  beforeAll(async () => {
    s = await startTestStack({
      URNA_FAILPOINTS: ARMED,
      URNA_FAILPOINTS_STATE: state,
      URNA_RECOUNT_LOCK_MS: '3000',
      URNA_WORKER_BATCH: '20',
      URNA_RL_USER_VOTES: '1000',
    });
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('stops at every failpoint once, restarts, and counts every vote exactly once', { timeout: 300_000 }, async () => {
    const admin = await s.adminToken();
    const options = ['a', 'b', 'c'];
    const id = await createElection(s, { id: randomName('fp'), options });

    const history = new HistoryRecorder();
    let n = 0;
    const vote = async (userId: string, optionId: string) => {
      const process = `v${n++}`;
      history.record({ type: 'invoke', f: 'vote', process, electionId: id, userId, optionId });
      const r = await api<{ voteId: string }>(s.gateway, 'POST', `/v1/elections/${id}/votes`, s.voterToken(userId), { optionId });
      expect(r.status).toBe(202);
      history.record({ type: 'ok', f: 'vote', process, electionId: id, userId, optionId, voteId: r.json.voteId });
    };
    // small waves, so the workers see many batches, until every worker failpoint has fired
    const workerPoints = FAILPOINTS.filter((p) => !p.startsWith('recount.'));
    let wave = 0;
    await eventually(
      'every projection failpoint fired',
      async () => {
        const base = wave++ * 10;
        await Promise.all(Array.from({ length: 10 }, (_, i) => vote(`user-${base + i}`, options[(base + i) % 3] as string)));
        // duplicates by earlier voters: never counted
        await Promise.all(Array.from({ length: 3 }, (_, i) => vote(`user-${Math.floor((base * 7 + i) % (base + 10))}`, 'c')));
        await new Promise((r) => setTimeout(r, 300));
        return workerPoints.every((p) => existsSync(join(state, p))) ? true : undefined;
      },
      180_000,
    );
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    await eventually(
      'the official recount',
      async () => ((await api(s.gateway, 'GET', `/v1/elections/${id}/reconciliation`)).status === 200 ? true : undefined),
      180_000,
    );
    for (const point of FAILPOINTS) expect(existsSync(join(state, point)), point).toBe(true);
    expect(s.stack.services.get('tally-live')?.restartCount).toBeGreaterThanOrEqual(3);
    expect(s.stack.services.get('tally-store')?.restartCount).toBeGreaterThanOrEqual(3);
    expect(s.stack.services.get('tally-transparency')?.restartCount).toBeGreaterThanOrEqual(2);
    expect(s.stack.services.get('recount')?.restartCount).toBeGreaterThanOrEqual(2);

    const finals = await readFinalState({
      env: s.stack.env,
      gateway: s.gateway,
      elections: [{ id, options }],
      group: randomName('fp-check'),
    });
    const result = check(history.events, finals);
    expect(result.problems).toEqual([]);
    expect([result.lost, result.double, result.mismatch]).toEqual([0, 0, 0]);
    const expected = result.expected[id];
    expect(expected?.accepted).toBe(n);
    expect(expected?.counted).toBe(wave * 10);
  });
});
