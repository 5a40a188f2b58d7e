import type { LoggedVote } from './vote.ts';

/**
 * The one-vote rule, as a pure reference: per (election, user) the vote with the smallest log
 * position counts; every other vote of that user is a duplicate. Redeliveries (the same voteId
 * again) change nothing. Both projections implement this same rule (Lua in the live tally, a
 * sorted query in the vote store), so they agree without talking to each other, in any order
 * of delivery.
 */
export function countedVotes(records: Iterable<LoggedVote>): Map<string, LoggedVote> {
  const winners = new Map<string, LoggedVote>();
  for (const record of records) {
    const key = `${record.vote.electionId}\u0000${record.vote.userId}`;
    const current = winners.get(key);
    if (current === undefined || record.position < current.position) winners.set(key, record);
  }
  return winners;
}

/** Tally of counted votes per election and option, from the reference rule. */
export function referenceTally(records: Iterable<LoggedVote>): Map<string, Map<string, number>> {
  const tally = new Map<string, Map<string, number>>();
  for (const { vote } of countedVotes(records).values()) {
    const counts = tally.get(vote.electionId) ?? new Map<string, number>();
    counts.set(vote.optionId, (counts.get(vote.optionId) ?? 0) + 1);
    tally.set(vote.electionId, counts);
  }
  return tally;
}
