import { isAfterClose, type LoggedCloseMarker, type LoggedVote } from './vote.ts';

/**
 * The one-vote rule, as a pure reference: per (election, user) the vote with the smallest log
 * position counts; every other vote of that user is a duplicate. Redeliveries (the same voteId
 * again) change nothing. Both projections implement this same rule (Lua in the live tally, a
 * sorted query in the vote store), so they agree without talking to each other, in any order
 * of delivery. A vote after its partition's close marker (the smallest, per election and
 * partition) never counts.
 */
export function countedVotes(records: Iterable<LoggedVote>, markers: Iterable<LoggedCloseMarker> = []): Map<string, LoggedVote> {
  const closeAt = closePositions(markers);
  const winners = new Map<string, LoggedVote>();
  for (const record of records) {
    if (isAfterClose(record.position, closeAt.get(`${record.vote.electionId}\u0000${record.partition}`))) continue;
    const key = `${record.vote.electionId}\u0000${record.vote.userId}`;
    const current = winners.get(key);
    if (current === undefined || record.position < current.position) winners.set(key, record);
  }
  return winners;
}

/** Tally of counted votes per election and option, from the reference rule. */
export function referenceTally(records: Iterable<LoggedVote>, markers: Iterable<LoggedCloseMarker> = []): Map<string, Map<string, number>> {
  const tally = new Map<string, Map<string, number>>();
  for (const { vote } of countedVotes(records, markers).values()) {
    const counts = tally.get(vote.electionId) ?? new Map<string, number>();
    counts.set(vote.optionId, (counts.get(vote.optionId) ?? 0) + 1);
    tally.set(vote.electionId, counts);
  }
  return tally;
}

/** `electionId\0partition` → the smallest close-marker position there. */
export function closePositions(markers: Iterable<LoggedCloseMarker>): Map<string, string> {
  const at = new Map<string, string>();
  for (const { marker, partition, position } of markers) {
    const key = `${marker.electionId}\u0000${partition}`;
    const current = at.get(key);
    if (current === undefined || position < current) at.set(key, position);
  }
  return at;
}
