import { Counter, Histogram, type Registry } from 'prom-client';
import type { LoggedVote } from '@urna/domain';
import type { LiveTally } from '@urna/tally';

export type ApplySummary = Awaited<ReturnType<LiveTally['apply']>>;
/** Called by the live projection after each applied batch. */
export type LiveBatchObserver = (summary: ApplySummary, records: readonly LoggedVote[]) => void;

const OUTCOMES = {
  counted: 'counted',
  duplicates: 'duplicate',
  replaced: 'replaced',
  redelivered: 'redelivered',
  afterClose: 'after-close',
} as const satisfies Record<keyof ApplySummary, string>;

/**
 * The live projection's own figures, for the operators' dashboard: votes by what the one-vote
 * rule made of them (`counted` per second is the "votes counted" line), and the end-to-end
 * delay from the 202 to the live read model.
 */
export function liveBatchMetrics(registry: Registry): LiveBatchObserver {
  const votes = new Counter({
    name: 'urna_live_votes_total',
    help: 'Votes applied to the live read model, by outcome (counted, duplicate, replaced, redelivered, after-close)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of Object.values(OUTCOMES)) votes.inc({ outcome }, 0);
  const e2e = new Histogram({
    name: 'urna_vote_e2e_seconds',
    help: "From a vote's 202 (its acceptedAt, ingest's clock) to its batch applied to the live read model (redeliveries included)",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return (summary, records) => {
    for (const [key, outcome] of Object.entries(OUTCOMES)) {
      const n = summary[key as keyof ApplySummary];
      if (n > 0) votes.inc({ outcome }, n);
    }
    const now = Date.now();
    for (const record of records) e2e.observe(Math.max(0, now - record.vote.acceptedAt) / 1000);
  };
}
