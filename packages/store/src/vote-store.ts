import {
  BatchWriteItemCommand, QueryCommand, TransactWriteItemsCommand,
  type AttributeValue, type DynamoDBClient, type QueryCommandInput, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { bucketOf, isAfterClose, type LoggedCloseMarker, type LoggedVote, type VoteReceipt } from '@urna/domain';
import { isRetriableDynamoError, StoreErrors } from './errors.ts';
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
  readonly partition: number;
  readonly position: string;
  readonly acceptedAt: number;
}

/** A vote that counts, as a rebuild of the live read model needs it. */
export interface CountedVote {
  readonly userId: string;
  readonly optionId: string;
  readonly voteId: string;
  readonly position: string;
}

export interface ElectionTally {
  readonly counts: Record<string, number>;
  readonly total: number;
  /** Every accepted vote in the history, counted or not: total + duplicates + afterClose. */
  readonly accepted: number;
  readonly duplicates: number;
  /** Votes after their partition's close marker. */
  readonly afterClose: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  /**
   * Writes a batch; resolves when every vote is stored, rejects with a retriable error otherwise.
   * Close markers are written after the votes: a stored marker means every vote before it in its
   * partition is stored too (what the recount waits for). Which votes it excludes is decided at
   * read time, so the order of writes never changes a result.
   */
  async write(records: readonly LoggedVote[], markers: readonly LoggedCloseMarker[] = []): Promise<void> {
    await this.writeItems(records.map((r) => this.toItem(r)));
    if (markers.length > 0) await this.writeItems(markers.map((m) => markerItem(m)));
  }

  private async writeItems(all: ReadonlyArray<Record<string, AttributeValue>>): Promise<void> {
    const unique = new Map<string, Record<string, AttributeValue>>();
    for (const item of all) unique.set(`${item.pk?.S}\u0000${item.sk?.S}`, item);
    const items = [...unique.values()];
    const size = this.mode === 'transact' ? 100 : 25;
    const chunks: Array<Array<Record<string, AttributeValue>>> = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as Array<Record<string, AttributeValue>>;
        await this.withRetry(() => (this.mode === 'transact' ? this.transact(chunk) : this.batch(chunk)));
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
      if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
      const result = await this.options.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
      requests = result.UnprocessedItems?.[this.table] ?? [];
      if (attempt > 10 && requests.length > 0) throw StoreErrors.unavailable(new Error('unprocessed items after retries'));
    }
  }

  private async withRetry(operation: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!isRetriableDynamoError(error) || attempt >= 6) throw StoreErrors.unavailable(error);
        await sleep(Math.min(2_000, 20 * 2 ** attempt + Math.random() * 20));
      }
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

  /** Close markers stored for an election: partition → the smallest marker position there. */
  async closeMarkers(electionId: string): Promise<Map<number, string>> {
    const at = new Map<number, string>();
    for await (const item of this.query({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: markerPartitionKey(electionId) } } })) {
      const partition = Number(item.partition?.N);
      const position = item.position?.S ?? '';
      const current = at.get(partition);
      if (current === undefined || position < current) at.set(partition, position);
    }
    return at;
  }

  /** A user's votes in log order; the first one before its partition's close marker is the counted one. */
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

  /** Receipts as the store sees them: after-close, then first in log order counted, the rest duplicates. */
  async receiptsOf(electionId: string, userId: string): Promise<VoteReceipt[]> {
    const [votes, closeAt] = await Promise.all([this.votesOf(electionId, userId), this.closeMarkers(electionId)]);
    let counted = false;
    return votes.map((v): VoteReceipt => {
      if (isAfterClose(v.position, closeAt.get(v.partition))) return { voteId: v.voteId, optionId: v.optionId, status: 'rejected', reason: 'after-close' };
      if (counted) return { voteId: v.voteId, optionId: v.optionId, status: 'rejected', reason: 'duplicate' };
      counted = true;
      return { voteId: v.voteId, optionId: v.optionId, status: 'counted' };
    });
  }

  /**
   * Folds one election's whole history, reading all shards in parallel (no table scan): per
   * user, in log order, votes after the partition's close marker are `afterClose`, the first
   * other vote counts, the rest are duplicates.
   */
  async tally(electionId: string, onCounted?: (vote: CountedVote) => void): Promise<ElectionTally> {
    const closeAt = await this.closeMarkers(electionId);
    const counts: Record<string, number> = {};
    let accepted = 0;
    let total = 0;
    let afterClose = 0;
    await Promise.all(Array.from({ length: this.shards }, async (_, shard) => {
      let lastCounted: string | undefined;
      for await (const item of this.query({
        KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `${electionId}#${shard}` } },
        ProjectionExpression: onCounted === undefined ? 'userId, optionId, #partition, #position' : 'userId, optionId, voteId, #partition, #position',
        ExpressionAttributeNames: { '#partition': 'partition', '#position': 'position' },
      })) {
        accepted++;
        if (isAfterClose(item.position?.S ?? '', closeAt.get(Number(item.partition?.N)))) {
          afterClose++;
          continue;
        }
        const userId = item.userId?.S;
        if (userId === lastCounted) continue; // sorted by user, then position: first one counts
        lastCounted = userId;
        const optionId = item.optionId?.S ?? '';
        counts[optionId] = (counts[optionId] ?? 0) + 1;
        total++;
        onCounted?.({ userId: userId ?? '', optionId, voteId: item.voteId?.S ?? '', position: item.position?.S ?? '' });
      }
    }));
    return { counts, total, accepted, duplicates: accepted - total - afterClose, afterClose };
  }
}

/** Close markers of an election share one item collection; shard keys are numbers, so no clash. */
const markerPartitionKey = (electionId: string) => `${electionId}#close`;

function markerItem({ marker, partition, position }: LoggedCloseMarker): Record<string, AttributeValue> {
  return {
    pk: { S: markerPartitionKey(marker.electionId) },
    sk: { S: `${partition}#${position}` },
    electionId: { S: marker.electionId },
    partition: { N: String(partition) },
    position: { S: position },
    closedAt: { N: String(marker.closedAt) },
  };
}

function fromItem(item: Record<string, AttributeValue>): StoredVote {
  const voteId = item.voteId?.S;
  const userId = item.userId?.S;
  const optionId = item.optionId?.S;
  const position = item.position?.S;
  const partition = Number(item.partition?.N);
  const acceptedAt = Number(item.acceptedAt?.N);
  if (voteId === undefined || userId === undefined || optionId === undefined || position === undefined) throw StoreErrors.corruptItem(String(item.sk?.S));
  return { voteId, userId, optionId, partition, position, acceptedAt };
}
