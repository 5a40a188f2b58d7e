import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { bucketOf, type LoggedVote } from '@urna/domain';
import { StoreErrors } from './errors.ts';
import type { StoredVote } from './vote-page.ts';

/**
 * Format 1: one item per vote (the layout before vote pages), still read by the fold and the
 * user lookup, and still writable with `format: 'items'` (benchmarks, the compatibility test).
 *   pk = `<electionId>#<bucketOf(userId, shards)>`, sk = `<userId>#<log position>`.
 */
export const itemPartitionKey = (electionId: string, userId: string, shards: number): string => `${electionId}#${bucketOf(userId, shards)}`;

export function toItem({ vote, partition, position }: LoggedVote, shards: number): Record<string, AttributeValue> {
  return {
    pk: { S: itemPartitionKey(vote.electionId, vote.userId, shards) },
    sk: { S: `${vote.userId}#${position}` },
    electionId: { S: vote.electionId },
    userId: { S: vote.userId },
    voteId: { S: vote.voteId },
    optionId: { S: vote.optionId },
    partition: { N: String(partition) },
    position: { S: position },
    acceptedAt: { N: String(vote.acceptedAt) },
  };
}

export function fromItem(item: Record<string, AttributeValue>): StoredVote {
  const voteId = item.voteId?.S;
  const userId = item.userId?.S;
  const optionId = item.optionId?.S;
  const position = item.position?.S;
  const acceptedAt = Number(item.acceptedAt?.N);
  const partition = Number(item.partition?.N);
  if (voteId === undefined || userId === undefined || optionId === undefined || position === undefined || !Number.isInteger(partition)) {
    throw StoreErrors.corruptItem(String(item.sk?.S));
  }
  return { voteId, userId, optionId, position, acceptedAt, partition };
}
