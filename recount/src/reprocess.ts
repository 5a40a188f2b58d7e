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
 * repaired from the vote history (merged, never overwritten: safe while the election is open and
 * the live worker runs ahead of the store), then the status, visibility and, once official, the
 * published result and reconciliation from the election's record; says whether the rebuilt live
 * model is identical to the one it replaced. Idempotent.
 */
export async function runReprocess(electionId: string, deps: ReprocessDeps): Promise<Record<string, unknown>> {
  const election = await deps.elections.get(electionId);
  if (election === undefined) return { skipped: 'no such election' };
  const counted: CountedVote[] = [];
  // the markers before the fold: every vote before a marker read here is in the fold, so the
  // rebuild may mark it passed
  const closeAt = await deps.store.closeMarkers(electionId);
  const fold = await deps.store.tally(electionId, (v) => counted.push(v));
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
