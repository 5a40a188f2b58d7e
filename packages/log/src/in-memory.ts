import {
  backoffDelay,
  delay,
  partitionOf,
  splitRecords,
  type LoggedCloseMarker,
  type LogRecord,
  type LoggedVote,
  type Vote,
} from '@urna/domain';
import {
  CONSUMER_BACKOFF,
  CONSUMER_DEFAULTS,
  type BatchHandler,
  type ConsumerOptions,
  type GroupBacklog,
  type RunningConsumer,
  type VoteLog,
} from './port.ts';

/** Positions are the index in the partition, zero-padded so that they sort in log order. */
const position = (index: number): string => String(index).padStart(20, '0');

interface Delivery {
  readonly index: number;
  consumer: string;
  deliveredAt: number;
}

interface Group {
  /** Per partition: index of the next record never delivered to the group. */
  readonly next: number[];
  /** Per partition: records delivered and not yet acknowledged, by index. */
  readonly pending: Array<Map<number, Delivery>>;
}

/**
 * The records and groups of one in-memory log. Several InMemoryVoteLog handles on one store are
 * several processes' view of one log (a member that "dies" and another that takes over).
 */
export class InMemoryLogStore {
  readonly records: LogRecord[][];
  private readonly groups = new Map<string, Group>();
  private waiters: Array<() => void> = [];

  constructor(readonly partitions: number) {
    if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError('partitions must be a positive integer');
    this.records = Array.from({ length: partitions }, () => []);
  }

  group(name: string): Group {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = { next: this.records.map(() => 0), pending: this.records.map(() => new Map()) };
      this.groups.set(name, group);
    }
    return group;
  }

  append(votes: readonly Vote[]): LoggedVote[] {
    const logged = votes.map((vote) => {
      const partition = partitionOf(vote.userId, this.partitions);
      const records = this.records[partition] as LogRecord[];
      const record: LoggedVote = { vote, partition, position: position(records.length) };
      records.push(record);
      return record;
    });
    this.wake();
    return logged;
  }

  appendCloseMarker(electionId: string, closedAt: number, signature?: string): LoggedCloseMarker[] {
    const markers = this.records.map((records, partition) => {
      const record = { electionId, closedAt, ...(signature === undefined ? {} : { signature }) };
      const marker: LoggedCloseMarker = { marker: record, partition, position: position(records.length) };
      records.push(marker);
      return marker;
    });
    this.wake();
    return markers;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next append, after `ms`, or when `signal` aborts. */
  async appended(ms: number, signal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.waiters.push(stop);
    await delay(ms, controller.signal);
    signal.removeEventListener('abort', stop);
  }
}

/**
 * VoteLog in process memory, for the unit tier and for trying things out: it passes the same
 * contract suite as the Redis Streams and Kafka adapters, but nothing survives the process.
 * Semantics follow Redis consumer groups: a member reads its own pending records first, then
 * records idle on other members for `claimIdleMs`, then new ones; a batch is acknowledged once
 * the handler resolved.
 */
export class InMemoryVoteLog implements VoteLog {
  readonly partitions: number;
  readonly store: InMemoryLogStore;
  private readonly consumers = new Set<RunningConsumer>();

  constructor(options: { readonly partitions: number; readonly store?: InMemoryLogStore }) {
    this.store = options.store ?? new InMemoryLogStore(options.partitions);
    this.partitions = this.store.partitions;
  }

  async append(votes: readonly Vote[]): Promise<LoggedVote[]> {
    return this.store.append(votes);
  }

  async appendCloseMarker(electionId: string, closedAt = Date.now(), signature?: string): Promise<LoggedCloseMarker[]> {
    return this.store.appendCloseMarker(electionId, closedAt, signature);
  }

  async consume(options: ConsumerOptions, handler: BatchHandler): Promise<RunningConsumer> {
    const controller = new AbortController();
    const loop = this.run(options, handler, controller.signal);
    const running: RunningConsumer = {
      stop: async () => {
        controller.abort();
        await loop;
        this.consumers.delete(running);
      },
    };
    this.consumers.add(running);
    return running;
  }

  async backlog(groupName: string): Promise<GroupBacklog> {
    const group = this.store.group(groupName);
    let undelivered = 0;
    let pending = 0;
    this.store.records.forEach((records, p) => {
      undelivered += records.length - (group.next[p] as number);
      pending += (group.pending[p] as Map<number, Delivery>).size;
    });
    return { undelivered, pending };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  private async run(options: ConsumerOptions, handler: BatchHandler, signal: AbortSignal): Promise<void> {
    const group = this.store.group(options.group);
    const partitions = options.partitions ?? this.store.records.map((_, p) => p);
    const batchSize = options.batchSize ?? CONSUMER_DEFAULTS.batchSize;
    const claimIdleMs = options.claimIdleMs ?? CONSUMER_DEFAULTS.claimIdleMs;
    let failures = 0;
    while (!signal.aborted) {
      const batch = this.take(group, partitions, options.consumer, batchSize, claimIdleMs);
      if (batch.length === 0) {
        await this.store.appended(Math.min(options.blockMs ?? CONSUMER_DEFAULTS.blockMs, claimIdleMs / 2), signal);
        continue;
      }
      try {
        const { votes, markers } = splitRecords(batch.map(([p, d]) => this.store.records[p]?.[d.index] as LogRecord));
        await handler(votes, markers);
        for (const [p, d] of batch) group.pending[p]?.delete(d.index);
        failures = 0;
      } catch (error) {
        options.onError?.(error); // left pending: read again first, or taken over by another member
        await delay(backoffDelay(++failures, CONSUMER_BACKOFF), signal);
      }
    }
  }

  /** Own pending records first, then records idle on other members, then new ones. */
  private take(
    group: Group,
    partitions: readonly number[],
    consumer: string,
    batchSize: number,
    claimIdleMs: number,
  ): Array<[number, Delivery]> {
    const now = Date.now();
    const batch: Array<[number, Delivery]> = [];
    const deliver = (p: number, d: Delivery) => {
      d.consumer = consumer;
      d.deliveredAt = now;
      batch.push([p, d]);
    };
    for (const pass of ['own', 'idle'] as const) {
      for (const p of partitions) {
        for (const d of group.pending[p]?.values() ?? []) {
          if (batch.length >= batchSize) return batch;
          if (pass === 'own' ? d.consumer === consumer : d.consumer !== consumer && now - d.deliveredAt >= claimIdleMs) deliver(p, d);
        }
      }
      if (batch.length > 0) return batch;
    }
    for (const p of partitions) {
      const records = this.store.records[p] ?? [];
      while (batch.length < batchSize && (group.next[p] as number) < records.length) {
        const d: Delivery = { index: group.next[p] as number, consumer, deliveredAt: now };
        group.next[p] = d.index + 1;
        group.pending[p]?.set(d.index, d);
        batch.push([p, d]);
      }
    }
    return batch;
  }
}
