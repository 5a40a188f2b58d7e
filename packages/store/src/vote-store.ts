import {
  BatchWriteItemCommand, QueryCommand, TransactWriteItemsCommand,
  type AttributeValue, type DynamoDBClient, type QueryCommandInput, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { backoffDelay, bucketOf, delay, type LoggedVote, type VoteReceipt } from '@urna/domain';
import { StoreErrors } from './errors.ts';
import { tableNames } from './client.ts';

export type WriteMode = 'transact' | 'batch';

export interface VoteStoreOptions {
  readonly client: DynamoDBClient;
  readonly table?: string;
  /**
   * Item-collection shards per election: writes spread over this many partition keys and the
   * recount reads them in parallel. Fixed for the life of the table's data.
   */
  readonly shards?: number;
  /** `transact` (TransactWriteItems of 100) or `batch` (BatchWriteItem of 25). */
  readonly mode?: WriteMode;
  /** Chunks written concurrently per `write` call. */
  readonly concurrency?: number;
}

export interface StoredVote {
  readonly voteId: string;
  readonly userId: string;
  readonly optionId: string;
  readonly position: string;
  readonly acceptedAt: number;
}

export interface ElectionTally {
  readonly counts: Record<string, number>;
  readonly total: number;
  /** Every accepted vote in the history, counted or not. */
  readonly accepted: number;
  readonly duplicates: number;
}

/**
 * The vote store: the immutable history of every accepted vote, one item per vote, keyed by
 * (election, shard of user) and (user, log position). A redelivered vote rewrites the same item
 * with the same content, so writes are idempotent and order-free. Which vote counts is not a
 * stored flag but a function of the history: per (election, user), the smallest log position.
 */
export class VoteStore {
  private readonly table: string;
  private readonly shards: number;
  private readonly mode: WriteMode;
  private readonly concurrency: number;

  constructor(private readonly options: VoteStoreOptions) {
    this.table = options.table ?? tableNames().votes;
    this.shards = options.shards ?? 16;
    this.mode = options.mode ?? 'transact';
    this.concurrency = options.concurrency ?? 4;
  }

  partitionKey(electionId: string, userId: string): string {
    return `${electionId}#${bucketOf(userId, this.shards)}`;
  }

  /** Writes a batch; resolves when every vote is stored, rejects with a retriable error otherwise. */
  async write(records: readonly LoggedVote[]): Promise<void> {
    const unique = new Map<string, Record<string, AttributeValue>>();
    for (const record of records) {
      const item = this.toItem(record);
      unique.set(`${item.pk?.S}\u0000${item.sk?.S}`, item);
    }
    const items = [...unique.values()];
    const size = this.mode === 'transact' ? 100 : 25;
    const chunks: Array<Array<Record<string, AttributeValue>>> = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as Array<Record<string, AttributeValue>>;
        try {
          await (this.mode === 'transact' ? this.transact(chunk) : this.batch(chunk));
        } catch (error) {
          // the SDK has already retried what is worth retrying (createDynamoClient's maxAttempts);
          // the log redelivers the batch after its back-off
          throw StoreErrors.unavailable(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, worker));
  }

  private async transact(items: Array<Record<string, AttributeValue>>): Promise<void> {
    await this.options.client.send(new TransactWriteItemsCommand({
      TransactItems: items.map((Item) => ({ Put: { TableName: this.table, Item } })),
    }));
  }

  private async batch(items: Array<Record<string, AttributeValue>>): Promise<void> {
    let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      // unprocessed items are part of BatchWriteItem's answer, not an error the SDK retries
      if (attempt > 0) await delay(backoffDelay(attempt, { baseMs: 25, maxMs: 1_000 }));
      const result = await this.options.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
      requests = result.UnprocessedItems?.[this.table] ?? [];
      if (attempt > 10 && requests.length > 0) throw StoreErrors.unavailable(new Error('unprocessed items after retries'));
    }
  }

  private toItem({ vote, partition, position }: LoggedVote): Record<string, AttributeValue> {
    return {
      pk: { S: this.partitionKey(vote.electionId, vote.userId) },
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

  /** A user's votes in log order; the first is the counted one. */
  async votesOf(electionId: string, userId: string): Promise<StoredVote[]> {
    const out: StoredVote[] = [];
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :user)',
      ExpressionAttributeValues: { ':pk': { S: this.partitionKey(electionId, userId) }, ':user': { S: `${userId}#` } },
    })) out.push(fromItem(item));
    return out;
  }

  /** Every item of a consistent Query, page after page, in sort-key order. */
  private async *query(input: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead' | 'ExclusiveStartKey'>): AsyncGenerator<Record<string, AttributeValue>> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(new QueryCommand({ ...input, TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }));
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /** Receipts as the store sees them: first in log order counted, the rest duplicates. */
  async receiptsOf(electionId: string, userId: string): Promise<VoteReceipt[]> {
    return (await this.votesOf(electionId, userId)).map((v, i) =>
      i === 0 ? { voteId: v.voteId, optionId: v.optionId, status: 'counted' } : { voteId: v.voteId, optionId: v.optionId, status: 'rejected', reason: 'duplicate' });
  }

  /** Folds one election's whole history, reading all shards in parallel (no table scan). */
  async tally(electionId: string): Promise<ElectionTally> {
    const counts: Record<string, number> = {};
    let accepted = 0;
    let total = 0;
    await Promise.all(Array.from({ length: this.shards }, async (_, shard) => {
      let lastUser: string | undefined;
      for await (const item of this.query({
        KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `${electionId}#${shard}` } },
        ProjectionExpression: 'userId, optionId',
      })) {
        accepted++;
        const userId = item.userId?.S;
        if (userId === lastUser) continue; // sorted by user, then position: first one counts
        lastUser = userId;
        const optionId = item.optionId?.S ?? '';
        counts[optionId] = (counts[optionId] ?? 0) + 1;
        total++;
      }
    }));
    return { counts, total, accepted, duplicates: accepted - total };
  }
}

function fromItem(item: Record<string, AttributeValue>): StoredVote {
  const voteId = item.voteId?.S;
  const userId = item.userId?.S;
  const optionId = item.optionId?.S;
  const position = item.position?.S;
  const acceptedAt = Number(item.acceptedAt?.N);
  if (voteId === undefined || userId === undefined || optionId === undefined || position === undefined) throw StoreErrors.corruptItem(String(item.sk?.S));
  return { voteId, userId, optionId, position, acceptedAt };
}
