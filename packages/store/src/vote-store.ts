import {
  BatchWriteItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type ConsumedCapacity,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  backoffDelay,
  delay,
  idKeyed,
  isAfterClose,
  partitionOf,
  type LoggedCloseMarker,
  type LoggedVote,
  type RejectReason,
  type VoteReceipt,
} from '@urna/domain';
import { StoreErrors } from './errors.ts';
import { tableNames } from './client.ts';
import { cutPages, decodePage, encodePage, firstPositionOf, lastPositionOf, pagePartitionKey, type StoredVote } from './vote-page.ts';
import { fromItem, itemPartitionKey, toItem } from './vote-items.ts';
import { PartitionFold, PositionDedupe, type CountedVote, type ElectionTally } from './vote-fold.ts';

export type { StoredVote } from './vote-page.ts';
export type { CountedVote, ElectionTally } from './vote-fold.ts';
export type WriteMode = 'transact' | 'batch';
/** `pages` (format 2, the default) or `items` (format 1: one item per vote; benchmarks and compatibility tests). */
export type ItemFormat = 'pages' | 'items';

export interface VoteStoreOptions {
  readonly client: DynamoDBClient;
  readonly table?: string;
  /**
   * The log's partition count (URNA_LOG_PARTITIONS): pages are keyed by log partition, the fold
   * reads one key per partition and a user's lookup reads the user's partition. A vote whose
   * partition is not `partitionOf(userId, logPartitions)` is refused (a configuration error).
   */
  readonly logPartitions?: number;
  /** Largest uncompressed page payload in bytes; a batch larger than this is cut into several pages. */
  readonly maxPageBytes?: number;
  readonly format?: ItemFormat;
  /** Format 1: item-collection shards per election (read for old data; written with `format: 'items'`). */
  readonly shards?: number;
  /** Format 1 writes only: `transact` (TransactWriteItems of 100, 2 WCU per item) or `batch` (BatchWriteItem of 25). Pages always use BatchWriteItem. */
  readonly mode?: WriteMode;
  /** Write requests in flight per `write` call, and partitions read at once by the fold. */
  readonly concurrency?: number;
}

/** What this store instance consumed, from DynamoDB's ConsumedCapacity (ReturnConsumedCapacity TOTAL). */
export interface StoreUsage {
  /** As DynamoDB reports them. DynamoDB Local reports 2 per TransactWriteItems call whatever its items: see billedWriteUnits. */
  writeUnits: number;
  /** From item sizes, as AWS bills writes: per item ⌈size / 1 KB⌉, doubled in a transaction. */
  billedWriteUnits: number;
  readUnits: number;
  itemsWritten: number;
  bytesWritten: number;
  votesWritten: number;
}

/** An item's size as DynamoDB counts it: attribute names plus values (numbers approximated by their digits). */
function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (value.S !== undefined) size += Buffer.byteLength(value.S);
    else if (value.N !== undefined) size += Math.ceil(value.N.length / 2) + 1;
    else if (value.B !== undefined) size += value.B.length;
  }
  return size;
}

/** Overlapping pages looked at per position by `votesAt` (pages overlap only where a batch was redelivered cut differently). */
const PAGES_BACK = 8;

/**
 * The vote store: the immutable history of every accepted vote, packed into page items per
 * (election, log partition, log range) — see vote-page.ts. Writes are blind puts of immutable
 * items, so redelivery is idempotent and order-free; readers dedupe by (partition, position).
 * Which vote counts is not a stored flag but a function of the history: per (election, user),
 * the smallest log position. Format-1 items (one per vote) are read alongside pages.
 */
export class VoteStore {
  private readonly table: string;
  private readonly partitions: number;
  private readonly maxPageBytes: number;
  private readonly format: ItemFormat;
  private readonly shards: number;
  private readonly mode: WriteMode;
  private readonly concurrency: number;
  readonly usage: StoreUsage = { writeUnits: 0, billedWriteUnits: 0, readUnits: 0, itemsWritten: 0, bytesWritten: 0, votesWritten: 0 };

  constructor(private readonly options: VoteStoreOptions) {
    this.table = options.table ?? tableNames().votes;
    this.partitions = options.logPartitions ?? 16;
    this.maxPageBytes = Math.min(options.maxPageBytes ?? 256_000, 380_000);
    this.format = options.format ?? 'pages';
    this.shards = options.shards ?? 16;
    this.mode = options.mode ?? 'transact';
    this.concurrency = options.concurrency ?? 4;
  }

  /**
   * Writes a batch; resolves when every vote is stored, rejects with a retriable error otherwise.
   * Close markers are written after the votes: a stored marker means every vote before it in its
   * partition is stored too (what the recount waits for). Which votes it excludes is decided at
   * read time, so the order of writes never changes a result.
   */
  async write(records: readonly LoggedVote[], markers: readonly LoggedCloseMarker[] = []): Promise<void> {
    await this.writeItems(
      this.format === 'pages' ? this.pagesOf(records) : this.itemsOf(records),
      this.format === 'items' && this.mode === 'transact',
    );
    if (markers.length > 0) await this.writeItems(markers.map(markerItem), false);
    this.usage.votesWritten += records.length;
  }

  /**
   * Keeps log records refused before counting (reason `forged`) in the election's `#rejected`
   * item collection, one item per log position (blind puts: a redelivery rewrites the same
   * item). Their fields are the unverified record's, cut to 256 characters. The fold counts
   * them by reason; they are never votes of anyone.
   */
  async writeRejected(rejected: ReadonlyArray<{ vote: LoggedVote; reason: RejectReason }>): Promise<void> {
    const unique = new Map<string, Record<string, AttributeValue>>();
    for (const { vote: record, reason } of rejected) {
      const cut = (text: string) => ({ S: text.slice(0, 256) || '-' });
      const item: Record<string, AttributeValue> = {
        pk: { S: rejectedPartitionKey(record.vote.electionId) },
        sk: { S: `${record.partition}#${record.position}` },
        reason: { S: reason },
        voteId: cut(record.vote.voteId),
        userId: cut(record.vote.userId),
        optionId: cut(record.vote.optionId),
      };
      unique.set(`${item.pk?.S}\u0000${item.sk?.S}`, item);
    }
    if (unique.size > 0) await this.writeItems([...unique.values()], false);
  }

  /** Log records of an election refused before counting, by reason (one Query). */
  async rejectedCounts(electionId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: rejectedPartitionKey(electionId) } },
      ProjectionExpression: 'reason',
    })) {
      const reason = item.reason?.S ?? 'forged';
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
    return counts;
  }

  private async writeItems(items: ReadonlyArray<Record<string, AttributeValue>>, transact: boolean): Promise<void> {
    const size = transact ? 100 : 25;
    const chunks: Array<Array<Record<string, AttributeValue>>> = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as Array<Record<string, AttributeValue>>;
        try {
          await (transact ? this.transact(chunk) : this.batch(chunk));
        } catch (error) {
          // the SDK has already retried what is worth retrying (createDynamoClient's maxAttempts);
          // the log redelivers the batch after its back-off
          throw StoreErrors.unavailable(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, worker));
  }

  /** Groups by (election, partition), dedupes by position, sorts, cuts to size, encodes. */
  private pagesOf(records: readonly LoggedVote[]): Array<Record<string, AttributeValue>> {
    const groups = new Map<string, { electionId: string; partition: number; votes: Map<string, LoggedVote> }>();
    for (const record of records) {
      if (partitionOf(record.vote.userId, this.partitions) !== record.partition)
        throw StoreErrors.partitionMismatch(record.partition, this.partitions);
      const key = `${record.vote.electionId}\u0000${record.partition}`;
      let group = groups.get(key);
      if (group === undefined)
        groups.set(key, (group = { electionId: record.vote.electionId, partition: record.partition, votes: new Map() }));
      group.votes.set(record.position, record);
    }
    const items: Array<Record<string, AttributeValue>> = [];
    for (const { electionId, partition, votes } of groups.values()) {
      const sorted = [...votes.values()].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
      for (const page of cutPages(sorted, this.maxPageBytes)) {
        const encoded = encodePage(electionId, partition, page);
        this.usage.bytesWritten += encoded.bytes;
        items.push(encoded.item);
      }
    }
    return items;
  }

  private itemsOf(records: readonly LoggedVote[]): Array<Record<string, AttributeValue>> {
    const unique = new Map<string, Record<string, AttributeValue>>();
    for (const record of records) {
      const item = toItem(record, this.shards);
      unique.set(`${item.pk?.S}\u0000${item.sk?.S}`, item);
    }
    return [...unique.values()];
  }

  private count(consumed: ConsumedCapacity[] | ConsumedCapacity | undefined, kind: 'writeUnits' | 'readUnits'): void {
    for (const c of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) this.usage[kind] += c.CapacityUnits ?? 0;
  }

  private async transact(items: Array<Record<string, AttributeValue>>): Promise<void> {
    const result = await this.options.client.send(
      new TransactWriteItemsCommand({
        TransactItems: items.map((Item) => ({ Put: { TableName: this.table, Item } })),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.count(result.ConsumedCapacity, 'writeUnits');
    this.usage.itemsWritten += items.length;
    for (const item of items) this.usage.billedWriteUnits += 2 * Math.ceil(itemSize(item) / 1024);
  }

  private async batch(items: Array<Record<string, AttributeValue>>): Promise<void> {
    let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      // unprocessed items are part of BatchWriteItem's answer, not an error the SDK retries
      if (attempt > 0) await delay(backoffDelay(attempt, { baseMs: 25, maxMs: 1_000 }));
      const result = await this.options.client.send(
        new BatchWriteItemCommand({ RequestItems: { [this.table]: requests }, ReturnConsumedCapacity: 'TOTAL' }),
      );
      this.count(result.ConsumedCapacity, 'writeUnits');
      const unprocessed = result.UnprocessedItems?.[this.table] ?? [];
      this.usage.itemsWritten += requests.length - unprocessed.length;
      const key = (item: Record<string, AttributeValue> | undefined) => `${item?.pk?.S}\u0000${item?.sk?.S}`;
      const left = new Set(unprocessed.map((r) => key(r.PutRequest?.Item)));
      for (const r of requests)
        if (r.PutRequest?.Item !== undefined && !left.has(key(r.PutRequest.Item)))
          this.usage.billedWriteUnits += Math.ceil(itemSize(r.PutRequest.Item) / 1024);
      requests = unprocessed;
      if (attempt > 10 && requests.length > 0) throw StoreErrors.unavailable(new Error('unprocessed items after retries'));
    }
  }

  /**
   * A user's votes in log order; the first is the counted one. Reads the pages of the user's
   * log partition only (1/logPartitions of the election, one Query; no per-user index item,
   * which would cost a write unit per vote) plus the user's format-1 items.
   */
  async votesOf(electionId: string, userId: string): Promise<StoredVote[]> {
    const byPosition = new Map<string, StoredVote>();
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :user)',
      ExpressionAttributeValues: { ':pk': { S: itemPartitionKey(electionId, userId, this.shards) }, ':user': { S: `${userId}#` } },
    })) {
      const vote = fromItem(item);
      byPosition.set(vote.position, vote);
    }
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pagePartitionKey(electionId, partitionOf(userId, this.partitions)) } },
      ProjectionExpression: 'sk, n, d',
    })) {
      for (const vote of decodePage(item, partitionOf(userId, this.partitions)))
        if (vote.userId === userId) byPosition.set(vote.position, vote);
    }
    return [...byPosition.values()].sort((a, b) => (a.position < b.position ? -1 : 1));
  }

  /**
   * A user's votes at known log positions (e.g. from the live tally's receipts), without reading
   * the partition: per position one Query for the last few pages whose first position is ≤ it
   * (`sk < "<position>$"`, newest first), usually one page. When a position is not among those
   * pages (not yet written, or a page cut with gaps hides it further back), it falls back to
   * reading the user's partition (`votesOf`), so it never misses a stored vote. Format-1 items
   * are read with the user's own Query. Positions of another user's votes are not returned.
   */
  async votesAt(electionId: string, userId: string, positions: readonly string[]): Promise<StoredVote[]> {
    const byPosition = new Map<string, StoredVote>();
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :user)',
      ExpressionAttributeValues: { ':pk': { S: itemPartitionKey(electionId, userId, this.shards) }, ':user': { S: `${userId}#` } },
    })) {
      const vote = fromItem(item);
      if (positions.includes(vote.position)) byPosition.set(vote.position, vote);
    }
    const pk = pagePartitionKey(electionId, partitionOf(userId, this.partitions));
    await Promise.all(
      positions
        .filter((p) => !byPosition.has(p))
        .map(async (position) => {
          let start: Record<string, AttributeValue> | undefined;
          for (let pages = 0; pages < PAGES_BACK; pages++) {
            // one page per request: the newest page starting at or before the position almost always holds it
            const page = await this.options.client.send(
              new QueryCommand({
                TableName: this.table,
                ConsistentRead: true,
                ReturnConsumedCapacity: 'TOTAL',
                ScanIndexForward: false,
                Limit: 1,
                ExclusiveStartKey: start,
                KeyConditionExpression: 'pk = :pk AND sk < :upto',
                ExpressionAttributeValues: { ':pk': { S: pk }, ':upto': { S: `${position}$` } },
                ProjectionExpression: 'sk, n, d',
              }),
            );
            this.count(page.ConsumedCapacity, 'readUnits');
            const item = page.Items?.[0];
            if (item === undefined) return;
            if (lastPositionOf(item) >= position) {
              const vote = decodePage(item, partitionOf(userId, this.partitions)).find(
                (v) => v.position === position && v.userId === userId,
              );
              if (vote !== undefined) return void byPosition.set(position, vote);
            }
            start = page.LastEvaluatedKey;
            if (start === undefined) return;
          }
        }),
    );
    if (positions.some((p) => !byPosition.has(p)))
      return (await this.votesOf(electionId, userId)).filter((v) => positions.includes(v.position));
    return [...byPosition.values()].sort((a, b) => (a.position < b.position ? -1 : 1));
  }

  /** Every item of a consistent Query, page after page, in sort-key order. */
  private async *query(
    input: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead' | 'ExclusiveStartKey'>,
  ): AsyncGenerator<Record<string, AttributeValue>> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          ...input,
          TableName: this.table,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.count(page.ConsumedCapacity, 'readUnits');
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /** Close markers stored for an election: partition → the smallest marker position there. */
  async closeMarkers(electionId: string): Promise<Map<number, string>> {
    const at = new Map<number, string>();
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: markerPartitionKey(electionId) } },
    })) {
      const partition = Number(item.partition?.N);
      const position = item.position?.S ?? '';
      const current = at.get(partition);
      if (current === undefined || position < current) at.set(partition, position);
    }
    return at;
  }

  /** Receipts as the store sees them: after-close, then first in log order counted, the rest duplicates. */
  async receiptsOf(electionId: string, userId: string): Promise<VoteReceipt[]> {
    const [votes, closeAt] = await Promise.all([this.votesOf(electionId, userId), this.closeMarkers(electionId)]);
    let counted = false;
    return votes.map((v): VoteReceipt => {
      if (isAfterClose(v.position, closeAt.get(v.partition)))
        return { voteId: v.voteId, optionId: v.optionId, status: 'rejected', reason: 'after-close' };
      if (counted) return { voteId: v.voteId, optionId: v.optionId, status: 'rejected', reason: 'duplicate' };
      counted = true;
      return { voteId: v.voteId, optionId: v.optionId, status: 'counted' };
    });
  }

  /**
   * Folds one election's whole history without a scan: format-1 items (one Query per shard),
   * then each log partition's pages (one Query per partition, `concurrency` partitions at once).
   * Per partition, votes after its close marker are `afterClose`; `onCounted` receives every
   * counted vote (a rebuild of the live read model). Refused (forged) records are counted
   * from their own collection, into `accepted` too, so accepted = total + every rejection.
   */
  async tally(electionId: string, onCounted?: (vote: CountedVote) => void): Promise<ElectionTally> {
    const [closeAt, rejected] = await Promise.all([this.closeMarkers(electionId), this.rejectedCounts(electionId)]);
    const folds = Array.from({ length: this.partitions }, (_, partition) => ({
      fold: new PartitionFold(closeAt.get(partition)),
      seen: new PositionDedupe(),
    }));
    await Promise.all(
      Array.from({ length: this.shards }, async (_, shard) => {
        for await (const item of this.query({
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `${electionId}#${shard}` } },
          ProjectionExpression: 'userId, optionId, voteId, #p, #pos',
          ExpressionAttributeNames: { '#p': 'partition', '#pos': 'position' },
        })) {
          const partition = Number(item.partition?.N);
          const position = item.position?.S;
          const target = folds[partition];
          if (target === undefined || position === undefined) throw StoreErrors.corruptItem(String(item.sk?.S));
          if (target.seen.pin(position))
            target.fold.add({ userId: item.userId?.S ?? '', optionId: item.optionId?.S ?? '', voteId: item.voteId?.S ?? '', position });
        }
      }),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency * 4, this.partitions) }, async () => {
        while (next < this.partitions) {
          const partition = next++;
          const { fold, seen } = folds[partition] as (typeof folds)[number];
          for await (const item of this.query({
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pagePartitionKey(electionId, partition) } },
            ProjectionExpression: 'sk, n, d',
          })) {
            seen.startPage(firstPositionOf(item));
            for (const vote of decodePage(item, partition)) if (seen.fresh(vote.position)) fold.add(vote);
          }
        }
      }),
    );
    const tally = { counts: idKeyed(), total: 0, accepted: 0, afterClose: 0 };
    for (const { fold } of folds) fold.into(tally, onCounted);
    const forged = rejected.forged ?? 0;
    const entries = folds.map(({ fold }) => fold.size);
    return { ...tally, duplicates: tally.accepted - tally.total - tally.afterClose, forged, accepted: tally.accepted + forged, entries };
  }
}

/** Refused log records of an election (`#rejected`: no clash with `#p<n>`, `#<shard>` or `#close`). */
const rejectedPartitionKey = (electionId: string) => `${electionId}#rejected`;

/** Close markers of an election share one item collection (vote pages use `#p<n>`, format-1 items `#<shard>`: no clash). */
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
