import type { Redis } from 'ioredis';
import { backoffDelay, delay, splitRecords, type LogRecord } from '@urna/domain';
import { CONSUMER_BACKOFF, CONSUMER_DEFAULTS, type BatchHandler, type ConsumerOptions } from './port.ts';
import { parseEntry, parseReadReply } from './redis-fields.ts';

/**
 * The read loop of one group member. Order of work per turn:
 * 1. its own pending entries first (after a restart these are what it had not acknowledged);
 * 2. entries idle on other members for `claimIdleMs` (a dead member's), via XAUTOCLAIM;
 * 3. new entries (`>`), blocking up to `blockMs`.
 * The handler's batch is acknowledged with XACK only after the handler resolved.
 */
export class RedisStreamsConsumer {
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> | undefined;
  private readPending = true;
  private lastClaimAt = 0;
  private failures = 0;
  private connectionEpoch = 0;
  private keys: string[];
  /** Partitions to read from the next turn on (set by a lease change), applied by the read loop. */
  private nextPartitions: { readonly owned: readonly number[]; readonly taken: readonly number[] } | undefined;
  private readonly keyOfPartition: ReadonlyMap<number, string>;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: ConsumerOptions,
    private readonly partitionOfKey: ReadonlyMap<string, number>,
    private readonly handler: BatchHandler,
    /** With leases: the partitions read at first, and whether this member may still apply a partition's records. */
    private readonly leased?: { readonly initial: readonly number[]; readonly holds: (partition: number) => boolean },
  ) {
    this.keys = [...partitionOfKey.keys()];
    if (leased !== undefined) this.nextPartitions = { owned: leased.initial, taken: leased.initial };
    this.keyOfPartition = new Map([...partitionOfKey].map(([key, partition]) => [partition, key]));
    this.batchSize = options.batchSize ?? CONSUMER_DEFAULTS.batchSize;
    this.blockMs = options.blockMs ?? CONSUMER_DEFAULTS.blockMs;
    this.claimIdleMs = options.claimIdleMs ?? CONSUMER_DEFAULTS.claimIdleMs;
  }

  start(): void {
    // a reply lost with its connection: ioredis sends the read again after reconnecting, and a
    // `>` read the server had already served leaves those records pending with this member,
    // skipped; from then on, records read before the reconnect are not applied, and the pending
    // list is read again first, in log order (see read())
    this.redis.on('reconnecting', () => void this.connectionEpoch++);
    this.loop = this.run();
  }

  /**
   * Reads these partitions from the next turn on. A partition taken over is first cleared of
   * the previous owner's unacknowledged records (claimed, then read as this member's own
   * pending records, in log order) before any new record of it is read: a close marker is
   * never passed while earlier records of its partition wait with another member.
   */
  setPartitions(owned: readonly number[], taken: readonly number[]): void {
    const earlier = this.nextPartitions?.taken ?? [];
    this.nextPartitions = { owned, taken: [...new Set([...earlier, ...taken])] };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort(); // a back-off in progress ends now
    await this.loop;
  }

  /**
   * While the handler applies a batch, the next one is already being read (prefetch), so Redis
   * and this process work at the same time. Prefetched records sit in this member's pending
   * list like any delivered record: after a failure they are read again first (redelivery,
   * never loss), and a stop applies and acknowledges them before returning, so a clean stop
   * leaves nothing of its own pending. No prefetch while re-reading its own pending entries,
   * which would hand out the batch in hand a second time.
   */
  private async run(): Promise<void> {
    type Batch = Array<{ record: LogRecord; id: string }>;
    let batch: Batch = [];
    let prefetch: Promise<Batch> | undefined;
    while (!this.stopping) {
      try {
        if (batch.length === 0) {
          batch = await (prefetch ?? this.nextBatch());
          prefetch = undefined;
          continue;
        }
        if (!this.readPending && this.nextPartitions === undefined) {
          prefetch = this.nextBatch();
          prefetch.catch(() => undefined); // awaited (and its error handled) on the next turn
        }
        const applied = await this.deliver(batch);
        await this.ack(applied);
        if (applied.length < batch.length && prefetch !== undefined) {
          // records were left pending (a lease lapsed): what the prefetch read comes after them in
          // the log, so it is not applied now; the pending list is read again first, in order
          await prefetch.catch(() => undefined);
          prefetch = undefined;
        }
        batch = [];
        this.failures = 0;
      } catch (error) {
        batch = [];
        await prefetch?.catch(() => undefined);
        prefetch = undefined;
        this.options.onError?.(error);
        this.readPending = true; // redeliver what we hold
        this.failures++;
        await delay(backoffDelay(this.failures, CONSUMER_BACKOFF), this.stopSignal.signal);
      }
    }
    const rest = [...batch, ...((await prefetch?.catch(() => undefined)) ?? [])];
    if (rest.length === 0) return;
    try {
      await this.ack(await this.deliver(rest));
    } catch (error) {
      this.options.onError?.(error); // left pending: read again first on restart, or taken over
    }
  }

  /**
   * Hands the batch to the handler and returns what it applied. With leases, records of a
   * partition this member no longer holds are left pending, unapplied (the new owner takes
   * them over; if the lease comes back, they are read again first).
   */
  private async deliver(
    batch: ReadonlyArray<{ record: LogRecord; id: string }>,
  ): Promise<ReadonlyArray<{ record: LogRecord; id: string }>> {
    const holds = this.leased?.holds;
    // decided once per partition: a lease lapsing mid-batch never splits a partition's records
    const held = holds === undefined ? undefined : new Set([...new Set(batch.map((b) => b.record.partition))].filter((p) => holds(p)));
    const applied = held === undefined ? batch : batch.filter((b) => held.has(b.record.partition));
    if (applied.length < batch.length) this.readPending = true;
    if (applied.length === 0) {
      await delay(this.blockMs, this.stopSignal.signal);
      return applied;
    }
    const { votes, markers } = splitRecords(applied.map((b) => b.record));
    await this.handler(votes, markers);
    return applied;
  }

  /** Switches to the partitions of the last lease change; claims what others left pending there. */
  private async applyPartitionChange(): Promise<void> {
    const next = this.nextPartitions;
    if (next === undefined) return;
    this.nextPartitions = undefined;
    const keyOf = (partitions: readonly number[]) =>
      partitions.map((p) => this.keyOfPartition.get(p)).filter((k): k is string => k !== undefined);
    for (const key of keyOf(next.taken)) await this.claimAll(key);
    this.keys = keyOf(next.owned);
    this.readPending = true;
  }

  /** Takes over every record of the stream still pending with any member of the group. */
  private async claimAll(key: string): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = await this.redis.call(
        'XAUTOCLAIM',
        key,
        this.options.group,
        this.options.consumer,
        0,
        cursor,
        'COUNT',
        1_000,
        'JUSTID',
      );
      cursor = Array.isArray(reply) ? String(reply[0]) : '0-0';
    } while (cursor !== '0-0');
  }

  private async nextBatch(): Promise<Array<{ record: LogRecord; id: string }>> {
    await this.applyPartitionChange();
    if (this.keys.length === 0) {
      await delay(this.blockMs, this.stopSignal.signal);
      return [];
    }
    if (this.readPending) {
      const own = await this.read('0', false);
      if (own.length > 0) return own;
      this.readPending = false;
    }
    if (Date.now() - this.lastClaimAt >= this.claimIdleMs / 2) {
      this.lastClaimAt = Date.now();
      const claimed = await this.claimIdle();
      if (claimed.length > 0) return claimed;
    }
    const fresh = await this.read('>', true);
    if (this.leased !== undefined && fresh.length > 0 && (await this.takeOverEarlier(fresh))) {
      this.readPending = true; // the earlier records and these, in log order, from the pending list
      return [];
    }
    return fresh;
  }

  /**
   * With leases, another member may still hold records of a partition this member now reads
   * (it was paused past its lease, or its last read landed after the hand-over): those are
   * earlier in the log than anything new. They are taken over before the new records are
   * applied, so nothing is applied past a record still waiting elsewhere. One XPENDING summary
   * per partition of the batch, pipelined. Returns whether it took any over.
   */
  private async takeOverEarlier(fresh: ReadonlyArray<{ record: LogRecord }>): Promise<boolean> {
    const keys = [...new Set(fresh.map((f) => this.keyOfPartition.get(f.record.partition) as string))];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.xpending(key, this.options.group);
    const replies = (await pipeline.exec()) ?? [];
    const elsewhere = keys.filter((_, i) => {
      const [error, summary] = replies[i] ?? [null, null];
      if (error !== null && error !== undefined) throw error;
      const consumers = Array.isArray(summary) ? summary[3] : null;
      return Array.isArray(consumers) && consumers.some((c) => Array.isArray(c) && c[0] !== this.options.consumer && Number(c[1]) > 0);
    });
    for (const key of elsewhere) await this.claimAll(key);
    return elsewhere.length > 0;
  }

  private async read(id: '0' | '>', block: boolean): Promise<Array<{ record: LogRecord; id: string }>> {
    const args: Array<string | number> = ['GROUP', this.options.group, this.options.consumer, 'COUNT', this.batchSize];
    if (block) args.push('BLOCK', this.blockMs);
    args.push('STREAMS', ...this.keys, ...this.keys.map(() => id));
    const epoch = this.connectionEpoch;
    const reply = await this.redis.call('XREADGROUP', ...args);
    if (epoch !== this.connectionEpoch)
      throw new Error('the connection was re-established during a read: the pending list is read again first');
    return parseReadReply(reply, this.partitionOfKey);
  }

  private async claimIdle(): Promise<Array<{ record: LogRecord; id: string }>> {
    const out: Array<{ record: LogRecord; id: string }> = [];
    for (const key of this.keys) {
      const partition = this.partitionOfKey.get(key) as number;
      const reply = await this.redis.call(
        'XAUTOCLAIM',
        key,
        this.options.group,
        this.options.consumer,
        this.claimIdleMs,
        '0-0',
        'COUNT',
        this.batchSize,
      );
      const entries: unknown = Array.isArray(reply) ? reply[1] : undefined;
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!Array.isArray(entry) || entry[1] === null) continue;
        out.push({ record: parseEntry(partition, String(entry[0]), entry[1]), id: String(entry[0]) });
      }
    }
    return out;
  }

  private async ack(batch: ReadonlyArray<{ record: LogRecord; id: string }>): Promise<void> {
    if (batch.length === 0) return;
    const byKey = new Map<string, string[]>();
    for (const { record, id } of batch) {
      const key = this.keyOfPartition.get(record.partition) as string;
      const ids = byKey.get(key) ?? [];
      ids.push(id);
      byKey.set(key, ids);
    }
    const pipeline = this.redis.pipeline();
    for (const [key, ids] of byKey) pipeline.xack(key, this.options.group, ...ids);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }
}
