import { partitionOf, type LoggedCloseMarker, type LoggedVote, type Vote } from '@urna/domain';
import type { Redis } from 'ioredis';
import { LogErrors } from './errors.ts';
import type { BatchHandler, ConsumerOptions, GroupBacklog, RunningConsumer, VoteLog } from './port.ts';
import { closeMarkerFields, positionOfStreamId, voteFields } from './redis-fields.ts';
import { RedisStreamsConsumer } from './redis-streams-consumer.ts';
import { PartitionLeases } from './partition-leases.ts';

export interface RedisStreamsLogOptions {
  /** Connection used for appends and admin commands (should fail fast: no offline queue). */
  readonly redis: Redis;
  /** Makes a dedicated connection for each consumer's blocking reads. */
  readonly connect: () => Redis;
  /**
   * Number of partitions (streams). Fixed for the life of every open election: changing it
   * moves users to other partitions and breaks the per-user log order that decides which
   * vote counts.
   */
  readonly partitions: number;
  /** Stream key prefix; stream of partition p is `${prefix}:${p}`. */
  readonly prefix?: string;
}

/**
 * VoteLog on Redis Streams: one stream per partition, `fnv1a(userId) % partitions`.
 * Durability comes from the server: with `appendfsync always` Redis replies to XADD only after
 * the AOF is fsynced, so a resolved `append` survives `kill -9` of Redis.
 */
export class RedisStreamsLog implements VoteLog {
  readonly partitions: number;
  private readonly prefix: string;
  private readonly consumers = new Set<RunningConsumer>();

  constructor(private readonly options: RedisStreamsLogOptions) {
    if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError('partitions must be a positive integer');
    this.partitions = options.partitions;
    this.prefix = options.prefix ?? 'urna:votes';
  }

  streamKey(partition: number): string {
    return `${this.prefix}:${partition}`;
  }

  /** One pipeline (one round trip, one fsync) for the whole batch. */
  async append(votes: readonly Vote[]): Promise<LoggedVote[]> {
    if (votes.length === 0) return [];
    const pipeline = this.options.redis.pipeline();
    const partitions = votes.map((vote) => partitionOf(vote.userId, this.partitions));
    votes.forEach((vote, i) => pipeline.xadd(this.streamKey(partitions[i] as number), '*', ...voteFields(vote)));
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw LogErrors.unavailable(error);
    }
    if (results === null || results.length !== votes.length) throw LogErrors.unavailable(new Error('pipeline aborted'));
    return votes.map((vote, i) => {
      const [error, id] = results[i] as [Error | null, unknown];
      if (error !== null || typeof id !== 'string') throw LogErrors.unavailable(error ?? new Error('XADD returned no id'));
      return { vote, partition: partitions[i] as number, position: positionOfStreamId(id) };
    });
  }

  /** One XADD per partition in one pipeline (one fsync); rejects unless every partition took it. */
  async appendCloseMarker(electionId: string, closedAt = Date.now(), signature?: string): Promise<LoggedCloseMarker[]> {
    const pipeline = this.options.redis.pipeline();
    const fields = closeMarkerFields(electionId, closedAt, signature);
    for (let p = 0; p < this.partitions; p++) pipeline.xadd(this.streamKey(p), '*', ...fields);
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw LogErrors.unavailable(error);
    }
    if (results === null || results.length !== this.partitions) throw LogErrors.unavailable(new Error('pipeline aborted'));
    return results.map(([error, id], partition) => {
      if (error !== null || typeof id !== 'string') throw LogErrors.unavailable(error ?? new Error('XADD returned no id'));
      return { marker: { electionId, closedAt }, partition, position: positionOfStreamId(id) };
    });
  }

  /**
   * One member of a group. With `partitions` it reads those (a static split); with `leaseMs` it
   * reads the partitions it holds leases on, which the members balance among themselves;
   * otherwise every partition — then it must be the group's only member, or a close marker
   * could be passed while another member still holds earlier records of its partition.
   */
  async consume(options: ConsumerOptions, handler: BatchHandler): Promise<RunningConsumer> {
    const partitions = options.partitions ?? Array.from({ length: this.partitions }, (_, p) => p);
    const connection = this.options.connect();
    const keys = partitions.map((p) => this.streamKey(p));
    await this.ensureGroup(options.group, keys);
    const partitionOfKey = new Map(keys.map((k, i) => [k, partitions[i] as number]));
    let leases: PartitionLeases | undefined;
    let consumer: RedisStreamsConsumer;
    if (options.leaseMs !== undefined && options.partitions === undefined) {
      const lease = new PartitionLeases({
        redis: this.options.redis,
        prefix: this.prefix,
        group: options.group,
        member: options.consumer,
        partitions: this.partitions,
        leaseMs: options.leaseMs,
        onChange: (owned, taken) => consumer.setPartitions(owned, taken),
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      });
      consumer = new RedisStreamsConsumer(connection, options, partitionOfKey, handler, {
        initial: [],
        holds: (p) => lease.holds(p),
      });
      await lease.start();
      leases = lease;
    } else {
      consumer = new RedisStreamsConsumer(connection, options, partitionOfKey, handler);
    }
    consumer.start();
    const running: RunningConsumer = {
      stop: async () => {
        this.consumers.delete(running);
        await consumer.stop();
        await leases?.stop();
        connection.disconnect();
      },
    };
    this.consumers.add(running);
    return running;
  }

  /** Creates the group at the start of each stream, so a new projection replays the whole log. */
  async ensureGroup(group: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.options.redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error) || !error.message.includes('BUSYGROUP')) throw LogErrors.unavailable(error);
      }
    }
  }

  async backlog(group: string): Promise<GroupBacklog> {
    try {
      return await this.readBacklog(group);
    } catch (error) {
      throw LogErrors.unavailable(error);
    }
  }

  private async readBacklog(group: string): Promise<GroupBacklog> {
    let undelivered = 0;
    let pending = 0;
    for (let p = 0; p < this.partitions; p++) {
      const key = this.streamKey(p);
      const length = await this.options.redis.xlen(key);
      if (length === 0) continue;
      const groups = (await this.options.redis.call('XINFO', 'GROUPS', key)) as unknown[];
      const info = groups.map(toRecord).find((g) => g.get('name') === group);
      if (info === undefined) {
        undelivered += length;
        continue;
      }
      pending += Number(info.get('pending') ?? 0);
      const lag = info.get('lag');
      undelivered += lag === null || lag === undefined ? length : Number(lag);
    }
    return { undelivered, pending };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }
}

function toRecord(flat: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1]);
  return map;
}
