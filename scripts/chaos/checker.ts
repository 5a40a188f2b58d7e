import type { HistoryEvent } from './history.ts';

/** A vote as the log holds it (read back by a fresh consumer group after the run). */
export interface LogVote {
  readonly voteId: string;
  readonly userId: string;
  readonly optionId: string;
  readonly partition: number;
  readonly position: string;
}

/** What the system says once healed and drained, per election. */
export interface ElectionFinalState {
  readonly electionId: string;
  readonly options: readonly string[];
  /** Every vote record of the election in the log, and each partition's first close marker. */
  readonly logVotes: readonly LogVote[];
  readonly markers: ReadonlyMap<number, string>;
  /** The DynamoDB fold (VoteStore.tally) and the vote ids it counted. */
  readonly store: {
    readonly counts: Readonly<Record<string, number>>;
    readonly accepted: number;
    readonly duplicates: number;
    readonly afterClose: number;
    readonly counted: readonly { readonly voteId: string; readonly userId: string }[];
  };
  /** The Redis live read model's raw counts. */
  readonly live: Readonly<Record<string, number>> | undefined;
  /** The official recount's reconciliation (GET …/reconciliation), if published. */
  readonly official:
    | {
        readonly accepted: number;
        readonly counted: number;
        readonly rejected: Readonly<Record<string, number>>;
        readonly counts: Readonly<Record<string, number>>;
        readonly liveMatched: boolean;
      }
    | undefined;
  /**
   * `urna verify`'s recount of the election's export (scripts/verify), when the stack runs the
   * transparency projection: its totals, or why it failed. Absent: not checked.
   */
  readonly verified?:
    | {
        readonly ok: true;
        readonly accepted: number;
        readonly counted: number;
        readonly duplicates: number;
        readonly afterClose: number;
        readonly counts: Readonly<Record<string, number>>;
      }
    | { readonly ok: false; readonly message: string; readonly unavailable?: boolean };
}

export interface CheckResult {
  readonly lost: number;
  readonly double: number;
  readonly mismatch: number;
  /**
   * Elections whose export was never served after the drain (their final checkpoints were not
   * cut), so the verifier could not recount them: reported apart from a verifier that disagrees
   * (a mismatch), since it says the transparency projection stopped, not that a count is wrong.
   */
  readonly unverified: number;
  /** One line per anomaly (capped by the caller when printed). */
  readonly problems: string[];
  /** Facts worth reporting that are not count anomalies (exports that could not be verified). */
  readonly notes: string[];
  readonly expected: Record<string, { counted: number; duplicates: number; afterClose: number; accepted: number }>;
}

/** HTTP statuses after which a vote certainly was not appended; anything else without a 202 is unknown (`info`). */
export const DEFINITE_FAILURES: ReadonlySet<number> = new Set([400, 401, 403, 404, 409, 413, 415, 429]);

const sameCounts = (options: readonly string[], a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) =>
  options.every((o) => (a[o] ?? 0) === (b[o] ?? 0));
const show = (c: Readonly<Record<string, number>>) => JSON.stringify(c);

/**
 * Decides a run from its history and the final state alone:
 * - lost: an acknowledged (`ok`) vote missing from the log, or a vote the log says counts that
 *   the DynamoDB history does not count;
 * - double: a user with more than one counted vote, or a counted vote the log rule rejects;
 * - mismatch: expected (the log rule) ≠ DynamoDB fold ≠ live tally ≠ official recount ≠ the
 *   verifier's recount of the export, a reconciliation that does not account for every log
 *   record (late after-close votes included) or does not balance, a log vote of a user whose every attempt failed
 *   definitely (a phantom), or an SSE client that saw totals go backwards.
 * The rule: per (election, user), the vote with the smallest log position before its
 * partition's first close marker counts; every other vote of the user is a duplicate, and a
 * vote after the marker is `after-close`.
 */
export function check(history: readonly HistoryEvent[], finals: readonly ElectionFinalState[]): CheckResult {
  const problems: string[] = [];
  const notes: string[] = [];
  let lost = 0;
  let double = 0;
  let mismatch = 0;
  let unverified = 0;
  const expectedSummary: CheckResult['expected'] = {};

  // attempts per (election, user): how many may have reached the log (ok or info)
  const maybeAppended = new Map<string, number>();
  const acknowledged = new Map<string, HistoryEvent[]>();
  const invokes = new Map<string, HistoryEvent>();
  for (const e of history) {
    if (e.f !== 'vote') continue;
    const key = `${e.electionId}\u0000${e.userId}`;
    if (e.type === 'invoke') invokes.set(e.process, e);
    if (e.type === 'ok' || e.type === 'info') maybeAppended.set(key, (maybeAppended.get(key) ?? 0) + 1);
    if (e.type === 'ok') {
      const list = acknowledged.get(e.electionId ?? '') ?? [];
      list.push(e);
      acknowledged.set(e.electionId ?? '', list);
    }
  }

  for (const final of finals) {
    const id = final.electionId;
    const byVoteId = new Map(final.logVotes.map((v) => [v.voteId, v]));
    for (const ok of acknowledged.get(id) ?? []) {
      if (ok.voteId === undefined || !byVoteId.has(ok.voteId)) {
        lost++;
        problems.push(`lost: ${id} ${ok.userId} vote ${ok.voteId ?? '(no id)'} was acknowledged at ${ok.t} ms but is not in the log`);
      }
    }

    // the rule, applied to the log
    const first = new Map<string, LogVote>();
    let afterClose = 0;
    const perUser = new Map<string, number>();
    for (const v of final.logVotes) {
      perUser.set(v.userId, (perUser.get(v.userId) ?? 0) + 1);
      const marker = final.markers.get(v.partition);
      if (marker !== undefined && v.position > marker) {
        afterClose++;
        continue;
      }
      const current = first.get(v.userId);
      if (current === undefined || v.position < current.position) first.set(v.userId, v);
    }
    for (const [userId, n] of perUser) {
      const attempts = maybeAppended.get(`${id}\u0000${userId}`) ?? 0;
      if (n > attempts) {
        mismatch++;
        problems.push(`phantom: ${id} ${userId} has ${n} votes in the log but only ${attempts} attempts that may have appended one`);
      }
    }
    const expectedCounts: Record<string, number> = Object.fromEntries(final.options.map((o) => [o, 0]));
    for (const v of first.values()) expectedCounts[v.optionId] = (expectedCounts[v.optionId] ?? 0) + 1;
    const expected = {
      counted: first.size,
      duplicates: final.logVotes.length - first.size - afterClose,
      afterClose,
      accepted: final.logVotes.length,
    };
    expectedSummary[id] = expected;
    if (final.markers.size === 0) {
      mismatch++;
      problems.push(`mismatch: ${id} has no close marker in the log after the run`);
    }

    // DynamoDB: exactly the expected votes counted, each user at most once
    const countedUsers = new Map<string, number>();
    const countedIds = new Set<string>();
    for (const c of final.store.counted) {
      countedUsers.set(c.userId, (countedUsers.get(c.userId) ?? 0) + 1);
      countedIds.add(c.voteId);
    }
    for (const [userId, n] of countedUsers) {
      if (n > 1) {
        double += n - 1;
        problems.push(`double: ${id} ${userId} is counted ${n} times in the DynamoDB fold`);
      }
    }
    for (const v of first.values()) {
      if (!countedIds.has(v.voteId)) {
        lost++;
        problems.push(`lost: ${id} ${v.userId} vote ${v.voteId} (first in log order) is not counted by the DynamoDB fold`);
      }
    }
    const expectedIds = new Set([...first.values()].map((v) => v.voteId));
    for (const c of final.store.counted) {
      if (!expectedIds.has(c.voteId)) {
        double++;
        problems.push(`double: ${id} ${c.userId} vote ${c.voteId} is counted but the log rule rejects it`);
      }
    }
    const storeTally = { accepted: final.store.accepted, duplicates: final.store.duplicates, afterClose: final.store.afterClose };
    if (
      !sameCounts(final.options, expectedCounts, final.store.counts) ||
      storeTally.accepted !== expected.accepted ||
      storeTally.duplicates !== expected.duplicates ||
      storeTally.afterClose !== expected.afterClose
    ) {
      mismatch++;
      problems.push(
        `mismatch: ${id} DynamoDB fold ${show(final.store.counts)} ${JSON.stringify(storeTally)} ≠ log ${show(expectedCounts)} ${JSON.stringify(expected)}`,
      );
    }
    if (final.live === undefined || !sameCounts(final.options, expectedCounts, final.live)) {
      mismatch++;
      problems.push(`mismatch: ${id} live tally ${final.live === undefined ? '(none)' : show(final.live)} ≠ log ${show(expectedCounts)}`);
    }
    const official = final.official;
    if (official === undefined) {
      mismatch++;
      problems.push(`mismatch: ${id} has no official recount`);
    } else {
      const rejected = Object.values(official.rejected).reduce((a, b) => a + b, 0);
      // Exact, late votes included: a vote that reached the log after its partition's close
      // marker AND after the recount (an ingest process that validated it while the election
      // was open) is re-reconciled by the recount's late-entries watch (recount/src/late-watch.ts).
      if (
        !sameCounts(final.options, expectedCounts, official.counts) ||
        official.accepted !== expected.accepted ||
        official.counted !== expected.counted ||
        official.accepted !== official.counted + rejected ||
        (official.rejected.duplicate ?? 0) !== expected.duplicates ||
        (official.rejected['after-close'] ?? 0) !== expected.afterClose ||
        !official.liveMatched
      ) {
        mismatch++;
        problems.push(
          `mismatch: ${id} official reconciliation ${JSON.stringify(official)} ≠ log ${show(expectedCounts)} ${JSON.stringify(expected)}`,
        );
      }
    }
    const verified = final.verified;
    if (verified !== undefined && !verified.ok && verified.unavailable === true) {
      unverified++;
      notes.push(`unverified: ${id} ${verified.message}`);
    } else if (verified !== undefined && !verified.ok) {
      mismatch++;
      problems.push(`mismatch: ${id} urna verify on the export: ${verified.message}`);
    } else if (
      verified !== undefined &&
      (!sameCounts(final.options, expectedCounts, verified.counts) ||
        verified.accepted !== expected.accepted ||
        verified.counted !== expected.counted ||
        verified.duplicates !== expected.duplicates ||
        verified.afterClose !== expected.afterClose)
    ) {
      mismatch++;
      const { ok: _ok, ...totals } = verified;
      problems.push(
        `mismatch: ${id} urna verify's recount of the export ${JSON.stringify(totals)} ≠ log ${show(expectedCounts)} ${JSON.stringify(expected)}`,
      );
    }
  }

  // definite failures never reach the log: a user whose every attempt failed has no vote
  for (const final of finals) {
    const users = new Set(final.logVotes.map((v) => v.userId));
    for (const [, invoke] of invokes) {
      if (invoke.electionId !== final.electionId || !users.has(invoke.userId ?? '')) continue;
      if ((maybeAppended.get(`${final.electionId}\u0000${invoke.userId}`) ?? 0) === 0) {
        mismatch++;
        problems.push(`phantom: ${final.electionId} ${invoke.userId} has a vote in the log though every attempt failed definitely`);
        users.delete(invoke.userId ?? '');
      }
    }
  }

  // SSE: a client's totals never go backwards (across its reconnects too)
  const lastSeen = new Map<string, { total: number; t: number }>();
  for (const e of history) {
    if (e.f !== 'sse' || e.type !== 'ok' || e.total === undefined) continue;
    const key = `${e.process}\u0000${e.electionId}`;
    const previous = lastSeen.get(key);
    if (previous !== undefined && e.total < previous.total) {
      mismatch++;
      problems.push(
        `mismatch: SSE client ${e.process} saw ${e.electionId} total go from ${previous.total} (${previous.t} ms) back to ${e.total} (${e.t} ms)`,
      );
    }
    lastSeen.set(key, { total: Math.max(e.total, previous?.total ?? 0), t: e.t });
  }
  return { lost, double, mismatch, unverified, problems, notes, expected: expectedSummary };
}
