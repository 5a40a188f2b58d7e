import { isDeepStrictEqual } from 'node:util';
import type { ElectionRepository, CountedVote, VoteStore } from '@urna/store';
import type { LiveTally } from '@urna/tally';

export interface ReprocessDeps {
  readonly elections: Pick<ElectionRepository, 'get' | 'publishedDocuments'>;
  readonly store: Pick<VoteStore, 'tally' | 'closeMarkers'>;
  readonly tally: Pick<LiveTally, 'rebuild' | 'restorePublished'>;
}

/**
 * Rebuilds an election's Redis read model from DynamoDB (the source of truth): the live model
 * from the vote history, then the status, visibility and, once official, the published result
 * and reconciliation from the election's record; says whether the rebuilt live model is identical
 * to the one it replaced. Idempotent.
 */
export async function runReprocess(electionId: string, deps: ReprocessDeps): Promise<Record<string, unknown>> {
  const election = await deps.elections.get(electionId);
  if (election === undefined) return { skipped: 'no such election' };
  const counted: CountedVote[] = [];
  const [fold, closeAt] = await Promise.all([deps.store.tally(electionId, (v) => counted.push(v)), deps.store.closeMarkers(electionId)]);
  const { before, after } = await deps.tally.rebuild(
    electionId,
    election.options.map((o) => o.id),
    counted,
    closeAt,
  );
  await deps.tally.restorePublished(
    electionId,
    election.status,
    election.resultsVisibility ?? 'live',
    await deps.elections.publishedDocuments(electionId),
  );
  return { identical: isDeepStrictEqual(before, after), counted: fold.total, accepted: fold.accepted, before, after };
}
