import { Counter, type Registry } from 'prom-client';
import type { Election } from '@urna/domain';
import type { ElectionRepository } from '@urna/store';
import type { LiveTally } from '@urna/tally';
import type { RecountOutcome } from './recount.ts';

/**
 * Votes that reach the log after the close marker AND after the official recount.
 *
 * An ingest process that validated a vote while the election was open (its election cache
 * holds an entry up to 5 s, then the append may wait for the log up to its delivery timeout)
 * can append it after the partition's close marker, possibly after the recount ran. Every
 * projection rejects it `after-close`, so the official counts never move; but the published
 * reconciliation must still account for it (accepted = every record of the election).
 *
 * The watch: after the official result is published, a chain of delayed lifecycle jobs
 * compares, once per `intervalMs` and for `windowMs` after the close, the live tally's count of
 * after-close records (one SCARD, exact: recordAfterCloseVotes-2.lua) with the published
 * reconciliation's. Only when the live tally has seen more does the recount fold the DynamoDB
 * history again (runRecount: same official bytes, so SSE `final` is not re-sent; a new
 * reconciliation, deterministic for the same history). While the live tally is ahead of the
 * store the chain keeps going past the window (back-off up to 30 s) until the fold catches up.
 * A record the live tally first applies after the window is not reconciled: the metric
 * `urna_recount_late_unreconciled_total` and a warning name it at the last tick, and the
 * transparency log shows it as a leaf beyond the final checkpoint.
 */
export interface LateWatchDeps {
  readonly elections: Pick<ElectionRepository, 'get'>;
  readonly tally: Pick<LiveTally, 'afterCloseCount' | 'reconciliation'>;
  /** The official recount (runRecount with the service's dependencies). */
  readonly recount: (electionId: string) => Promise<RecountOutcome>;
  /** Queues the next tick (a delayed lifecycle job with a deterministic id). */
  readonly next: (electionId: string, tick: number, delayMs: number) => Promise<void>;
  readonly windowMs: number;
  readonly intervalMs: number;
  readonly metrics: LateWatchMetrics;
  readonly onUnreconciled?: (electionId: string, seen: number, reconciled: number) => void;
  readonly now?: () => number;
}

export interface LateWatchMetrics {
  readonly reconciled: Counter;
  readonly unreconciled: Counter;
}

export function lateWatchMetrics(registry: Registry): LateWatchMetrics {
  return {
    reconciled: new Counter({
      name: 'urna_recount_late_reconciled_total',
      help: 'After-close votes that reached the log after the official recount and were added to its reconciliation',
      registers: [registry],
    }),
    unreconciled: new Counter({
      name: 'urna_recount_late_unreconciled_total',
      help: 'After-close votes the live tally applied that the reconciliation still lacks when the watch ends (alert on any)',
      labelNames: ['election'],
      registers: [registry],
    }),
  };
}

const MAX_BACKOFF_MS = 30_000;

/** The after-close count of a published reconciliation (JSON text as the recount writes it). */
export function afterCloseOf(reconciliation: string): number {
  const parsed = JSON.parse(reconciliation) as { rejected?: { 'after-close'?: unknown } };
  const n = parsed.rejected?.['after-close'];
  return typeof n === 'number' ? n : 0;
}

/** When a closed election's watch ends (null: not closed). */
export function lateWatchEnd(election: Election, windowMs: number): number | null {
  return election.status === 'closed' && election.closedAt !== undefined ? Date.parse(election.closedAt) + windowMs : null;
}

/** One tick of the watch: re-reconciles if the live tally saw after-close records the reconciliation lacks, then queues the next. */
export async function watchLateEntries(electionId: string, tick: number, deps: LateWatchDeps): Promise<Record<string, unknown>> {
  const election = await deps.elections.get(electionId);
  const end = election === undefined ? null : lateWatchEnd(election, deps.windowMs);
  if (end === null) return { skipped: 'not closed' };
  const published = await deps.tally.reconciliation(electionId);
  if (published === undefined) return { skipped: 'no official result yet (the recount starts the watch)' };
  const before = afterCloseOf(published);
  const seen = await deps.tally.afterCloseCount(electionId);
  let reconciled = before;
  if (seen > before) {
    reconciled = afterCloseOf((await deps.recount(electionId)).reconciliation);
    if (reconciled > before) deps.metrics.reconciled.inc(reconciled - before);
  }
  const now = (deps.now ?? Date.now)();
  const pending = seen > reconciled; // the store has not written what the live tally applied yet
  if (now + deps.intervalMs <= end) await deps.next(electionId, tick + 1, deps.intervalMs);
  else if (pending && now < end + 10 * deps.windowMs) {
    await deps.next(electionId, tick + 1, Math.min(MAX_BACKOFF_MS, deps.intervalMs * 2 ** Math.min(10, tick)));
  } else if (pending) {
    deps.metrics.unreconciled.inc({ election: electionId }, seen - reconciled);
    deps.onUnreconciled?.(electionId, seen, reconciled);
  }
  return { tick, seen, reconciled: { before, after: reconciled } };
}
