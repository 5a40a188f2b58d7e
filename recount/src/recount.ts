import { Counter, type Registry } from 'prom-client';
import { countOf, idKeyed, UrnaError } from '@urna/domain';
import { failpoint } from '@urna/service-kit';
import type { ElectionRepository, VoteStore } from '@urna/store';
import type { LiveTally } from '@urna/tally';
import { makeCommitment } from './commitment.ts';

export interface RecountDeps {
  readonly elections: Pick<ElectionRepository, 'get' | 'setOfficialResult'>;
  readonly store: Pick<VoteStore, 'tally' | 'closeMarkers'>;
  readonly tally: Pick<LiveTally, 'closeMarkersPassed' | 'saveLiveAtClose' | 'publishOfficial' | 'commit'>;
  /**
   * Hidden results: resolves once the transparency projection has cut the election's final
   * checkpoints (or a bounded wait ended), between the commitment and the reveal.
   */
  readonly finalCheckpointsCut?: (electionId: string) => Promise<void>;
  readonly partitions: number;
  readonly metrics: RecountMetrics;
  readonly onMismatch?: (electionId: string, live: Record<string, number>, official: Record<string, number>) => void;
}

export interface RecountMetrics {
  readonly mismatches: Counter;
  readonly recounts: Counter;
}

export function recountMetrics(registry: Registry): RecountMetrics {
  return {
    mismatches: new Counter({
      name: 'urna_recount_live_mismatch_total',
      help: 'Official recounts whose counts differ from the live tally (alert on any)',
      labelNames: ['election'],
      registers: [registry],
    }),
    recounts: new Counter({
      name: 'urna_recount_published_total',
      help: 'Official results published (a rerun with identical bytes does not count)',
      registers: [registry],
    }),
  };
}

export interface RecountOutcome {
  readonly official: string;
  readonly reconciliation: string;
  readonly published: boolean;
}

/** Not ready yet: the job fails and BullMQ retries it after a back-off. */
export const notReady = (message: string) => new UrnaError('RECOUNT_NOT_READY', message, { status: 409, retriable: true });

/**
 * The official recount of a closed election, as a pure function of the DynamoDB history:
 * 1. both projections must have passed the close marker on every partition (else: not ready);
 * 2. fold the history over the store's shards in parallel (no scan);
 * 3. write the official result to DynamoDB and to the Redis read model, and publish it.
 * Every step is idempotent and the documents are built deterministically (option order, no
 * clock), so a rerun, or a retry after a SIGKILL mid-run, writes the same bytes.
 */
export async function runRecount(electionId: string, deps: RecountDeps): Promise<RecountOutcome> {
  const election = await deps.elections.get(electionId);
  if (election === undefined) throw new UrnaError('ELECTION_NOT_FOUND', `election "${electionId}" does not exist`, { status: 404 });
  if (election.status !== 'closed' || election.closedAt === undefined) throw notReady(`election "${electionId}" is not closed`);
  const [livePassed, storeMarkers] = await Promise.all([deps.tally.closeMarkersPassed(electionId), deps.store.closeMarkers(electionId)]);
  if (livePassed.size < deps.partitions || storeMarkers.size < deps.partitions) {
    throw notReady(
      `projections have passed the close marker on ${livePassed.size} (live) and ${storeMarkers.size} (store) of ${deps.partitions} partitions`,
    );
  }
  const fold = await deps.store.tally(electionId, () => failpoint('recount.mid-fold'));
  const counts = idKeyed(election.options.map((o) => [o.id, countOf(fold.counts, o.id)]));
  const official = JSON.stringify({ electionId, counts, total: fold.total, closedAt: election.closedAt });
  const live = await deps.tally.saveLiveAtClose(electionId);
  const liveMatched = election.options.every((o) => countOf(live, o.id) === counts[o.id]);
  const markers = Object.fromEntries([...storeMarkers].sort(([a], [b]) => a - b).map(([p, position]) => [String(p), position]));
  const reconciliation = JSON.stringify({
    electionId,
    accepted: fold.accepted,
    counted: fold.total,
    rejected: { duplicate: fold.duplicates, 'after-close': fold.afterClose, forged: fold.forged },
    counts,
    liveMatched,
    closedAt: election.closedAt,
    markers,
    // per partition, the vote records accounted for: each transparency log's final checkpoint
    // covers exactly these and the close marker (docs/transparency.md, late entries)
    entries: Object.fromEntries(fold.entries.map((n, p) => [String(p), n])),
  });
  if (election.resultsVisibility === 'hidden') {
    // commit before reveal: the commitment (first one kept on a rerun) and the final
    // checkpoints are out before the counts are
    const fresh = makeCommitment(electionId, official, reconciliation);
    await deps.tally.commit(electionId, fresh.commitment, fresh.opening);
    await deps.finalCheckpointsCut?.(electionId);
  }
  await deps.elections.setOfficialResult(electionId, official, { reconciliation, liveAtClose: JSON.stringify(live) });
  failpoint('recount.after-official-write');
  const published = await deps.tally.publishOfficial(electionId, official, reconciliation);
  if (published) deps.metrics.recounts.inc();
  if (!liveMatched && published) {
    deps.metrics.mismatches.inc({ election: electionId });
    deps.onMismatch?.(electionId, live, counts);
  }
  return { official, reconciliation, published };
}
