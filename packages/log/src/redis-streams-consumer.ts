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
  private readonly keys: string[];
  private readonly keyOfPartition: ReadonlyMap<number, string>;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: ConsumerOptions,
    private readonly partitionOfKey: ReadonlyMap<string, number>,
    private readonly handler: BatchHandler,
  ) {
    this.keys = [...partitionOfKey.keys()];
    this.keyOfPartition = new Map([...partitionOfKey].map(([key, partition]) => [partition, key]));
    this.batchSize = options.batchSize ?? CONSUMER_DEFAULTS.batchSize;
    this.blockMs = options.blockMs ?? CONSUMER_DEFAULTS.blockMs;
    this.claimIdleMs = options.claimIdleMs ?? CONSUMER_DEFAULTS.claimIdleMs;
  }

  start(): void {
    this.loop = this.run();
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
        if (!this.readPending) {
          prefetch = this.nextBatch();
          prefetch.catch(() => undefined); // awaited (and its error handled) on the next turn
        }
        await this.deliver(batch);
        await this.ack(batch);
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
      await this.deliver(rest);
      await this.ack(rest);
    } catch (error) {
      this.options.onError?.(error); // left pending: read again first on restart, or taken over
    }
  }

  private async deliver(batch: ReadonlyArray<{ record: LogRecord; id: string }>): Promise<void> {
    const { votes, markers } = splitRecords(batch.map((b) => b.record));
    await this.handler(votes, markers);
  }

  private async nextBatch(): Promise<Array<{ record: LogRecord; id: string }>> {
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
    return this.read('>', true);
  }

  private async read(id: '0' | '>', block: boolean): Promise<Array<{ record: LogRecord; id: string }>> {
    const args: Array<string | number> = ['GROUP', this.options.group, this.options.consumer, 'COUNT', this.batchSize];
    if (block) args.push('BLOCK', this.blockMs);
    args.push('STREAMS', ...this.keys, ...this.keys.map(() => id));
    const reply = await this.redis.call('XREADGROUP', ...args);
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
