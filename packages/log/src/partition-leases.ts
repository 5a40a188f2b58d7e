import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

export interface PartitionLeasesOptions {
  /** A connection that is not blocked by stream reads (the log's command connection). */
  readonly redis: Redis;
  /** Key prefix of the log (its streams are `${prefix}:${p}`). */
  readonly prefix: string;
  readonly group: string;
  /** This member's stable name (the consumer name). */
  readonly member: string;
  readonly partitions: number;
  /** A lease not renewed for this long is free for another member. */
  readonly leaseMs: number;
  /**
   * Called (awaited, one call at a time) when leases were taken or lost: every partition held
   * now, and those newly taken (a partition lost and taken again is among them: another member
   * may have held it in between and left records pending).
   */
  readonly onChange: (owned: readonly number[], taken: readonly number[]) => Promise<void> | void;
  readonly onError?: (error: unknown) => void;
}

const script = (name: string) => readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
type LeaseCommands = Redis & {
  urnaRenewLease(key: string, token: string, leaseMs: number): Promise<number>;
  urnaReleaseLease(key: string, token: string): Promise<number>;
  urnaAcquireLease(key: string, value: string, memberPrefix: string, leaseMs: number): Promise<number>;
};

/**
 * Self-balancing ownership of one consumer group's partitions on the Redis log. Every member
 * heartbeats into a sorted set, renews the leases it holds, takes free partitions up to its fair
 * share (ceil(partitions / live members)) and gives back what exceeds it, so a new member gets
 * its share within one renewal period and a dead member's partitions move once its leases
 * expire. A lease is a key holding `member|token` with a PX expiry; taking, renewing and
 * releasing it are compare-and-act Lua scripts (ioredis `defineCommand`: loaded once, called by EVALSHA), so a member
 * never extends or deletes a lease another member took after its own expired.
 *
 * `holds(p)` answers from local time with a safety margin (a third of the lease): a member
 * paused past its lease stops applying that partition's records as soon as it runs again,
 * before it learns from Redis that the lease moved. Records applied twice in the remaining
 * window change nothing (both projections are idempotent); what keeps the log order is that
 * a new owner takes over the previous owner's unacknowledged records before reading new ones
 * (RedisStreamsConsumer.setPartitions).
 */
export class PartitionLeases {
  private readonly redis: LeaseCommands;
  private readonly held = new Map<number, { token: string; expiresAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly renewEveryMs: number;

  constructor(private readonly options: PartitionLeasesOptions) {
    this.redis = options.redis as LeaseCommands;
    if (typeof this.redis.urnaRenewLease !== 'function') {
      options.redis.defineCommand('urnaRenewLease', { numberOfKeys: 1, lua: script('renewLease-1') });
      options.redis.defineCommand('urnaReleaseLease', { numberOfKeys: 1, lua: script('releaseLease-1') });
      options.redis.defineCommand('urnaAcquireLease', { numberOfKeys: 1, lua: script('acquireLease-1') });
    }
    this.renewEveryMs = Math.max(50, Math.floor(options.leaseMs / 3));
  }

  leaseKey(partition: number): string {
    return `${this.options.prefix}:lease:{${this.options.group}}:${partition}`;
  }

  private membersKey(): string {
    return `${this.options.prefix}:members:{${this.options.group}}`;
  }

  /** Takes a first share before resolving, then keeps balancing in the background. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      if (this.ticking !== undefined) return;
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => (this.ticking = undefined));
    }, this.renewEveryMs);
    this.timer.unref();
  }

  /** True while this member holds the partition's lease with a safety margin left. */
  holds(partition: number): boolean {
    const lease = this.held.get(partition);
    return lease !== undefined && Date.now() < lease.expiresAt - this.options.leaseMs / 3;
  }

  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Releases every lease (a clean stop hands the partitions over at once) and leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const releases = [...this.held].map(([p, lease]) => this.redis.urnaReleaseLease(this.leaseKey(p), this.value(lease.token)));
    this.held.clear();
    await Promise.allSettled([...releases, this.redis.zrem(this.membersKey(), this.options.member)]);
  }

  private value(token: string): string {
    return `${this.options.member}|${token}`;
  }

  /** One round: heartbeat, renew, give back above the share, take free partitions below it. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { partitions, leaseMs } = this.options;
    const now = Date.now();
    const before = this.owned().join(',');
    const taken: number[] = [];
    const [, , [, members]] = (await this.redis
      .multi()
      .zadd(this.membersKey(), now + leaseMs, this.options.member)
      .zremrangebyscore(this.membersKey(), '-inf', now)
      .zcard(this.membersKey())
      .exec()) as [unknown, unknown, [Error | null, number]];
    const share = Math.ceil(partitions / Math.max(1, members));
    for (const [p, lease] of [...this.held]) {
      const renewed = await this.redis.urnaRenewLease(this.leaseKey(p), this.value(lease.token), leaseMs);
      if (renewed === 1) lease.expiresAt = now + leaseMs;
      else this.held.delete(p);
    }
    for (const p of this.owned().slice(share).reverse()) {
      const lease = this.held.get(p);
      this.held.delete(p);
      if (lease !== undefined) await this.redis.urnaReleaseLease(this.leaseKey(p), this.value(lease.token));
    }
    // start the search at a member-specific partition, so members do not all race for the same ones
    const offset = [...this.options.member].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % partitions;
    for (let i = 0; i < partitions && this.held.size < share; i++) {
      const p = (offset + i) % partitions;
      if (this.held.has(p)) continue;
      const token = randomBytes(8).toString('hex');
      if ((await this.redis.urnaAcquireLease(this.leaseKey(p), this.value(token), `${this.options.member}|`, leaseMs)) === 1) {
        this.held.set(p, { token, expiresAt: now + leaseMs });
        taken.push(p);
      }
    }
    if (taken.length > 0 || this.owned().join(',') !== before) await this.options.onChange(this.owned(), taken);
  }
}
