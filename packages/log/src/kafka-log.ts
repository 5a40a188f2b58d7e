import { KafkaJS } from '@confluentinc/kafka-javascript';
import { partitionOf, UrnaError, type LoggedCloseMarker, type LoggedVote, type Vote } from '@urna/domain';
import { KAFKA_DEFAULTS } from './config.ts';
import { LogErrors } from './errors.ts';
import { createKafka, KafkaMetadataClient, type KafkaConnection } from './kafka-client.ts';
import { BatchProducer } from './kafka-producer.ts';
import { startKafkaConsumer, InFlightRecords } from './kafka-consumer.ts';
import { encodeCloseMarker, encodeVote, positionOfOffset } from './kafka-fields.ts';
import type { BatchHandler, ConsumerOptions, GroupBacklog, RunningConsumer, VoteLog } from './port.ts';

export interface KafkaLogOptions extends KafkaConnection {
  readonly topic: string;
  /**
   * Partitions urna writes to: a user's partition is `fnv1a(userId) % partitions`, the same
   * function as the Redis log, set explicitly on every message. The topic must have at least
   * this many; fixed for the life of every open election.
   */
  readonly partitions: number;
  /* Every optional setting below defaults to KAFKA_DEFAULTS (config.ts), as URNA_KAFKA_* does. */
  /** How long the producer waits to fill a batch; appends resolve after linger + broker ack. */
  readonly lingerMs?: number;
  /** An append not acknowledged within this time fails with LOG_UNAVAILABLE (the client retries). */
  readonly messageTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  readonly partitionsConcurrently?: number;
  /** See KafkaConsumerSettings.fetchMaxWaitMs. */
  readonly fetchMaxWaitMs?: number;
  /** See KafkaConsumerSettings.staticMembership. Default true. */
  readonly staticMembership?: boolean;
  /**
   * Prepended to every consumer group id (URNA_KAFKA_GROUP_PREFIX, default none): deployments
   * sharing one cluster (staging and production, or parallel test stacks) must not share the
   * projections' groups, whose static member names are the same in every deployment.
   */
  readonly groupPrefix?: string;
  /** Time allowed for connecting and for each metadata or offsets query. */
  readonly requestTimeoutMs?: number;
}

/**
 * VoteLog on Kafka or Redpanda through @confluentinc/kafka-javascript (librdkafka). Durability:
 * an idempotent producer with acks=all, so `append` resolves only once every in-sync replica
 * has the vote (with Redpanda's default fsync, on disk); key = userId.
 * Positions are the partition offsets, zero-padded to 20 digits.
 */
export class KafkaLog implements VoteLog {
  readonly partitions: number;
  private readonly consumers = new Set<RunningConsumer>();
  private readonly inFlight = new InFlightRecords();
  private readonly offsetProbes = new Map<string, Promise<KafkaJS.Consumer>>();
  private readonly timeoutMs: number;

  private constructor(
    private readonly options: KafkaLogOptions,
    private readonly kafka: KafkaJS.Kafka,
    private readonly producer: BatchProducer,
    private readonly metadata: KafkaMetadataClient,
  ) {
    this.partitions = options.partitions;
    this.timeoutMs = options.requestTimeoutMs ?? KAFKA_DEFAULTS.requestTimeoutMs;
  }

  /** Connects the producer and checks that the topic exists with enough partitions. */
  static async connect(options: KafkaLogOptions): Promise<KafkaLog> {
    if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError('partitions must be a positive integer');
    const timeoutMs = options.requestTimeoutMs ?? KAFKA_DEFAULTS.requestTimeoutMs;
    const kafka = createKafka(options);
    const producer = new BatchProducer(options, {
      lingerMs: options.lingerMs ?? KAFKA_DEFAULTS.lingerMs,
      messageTimeoutMs: options.messageTimeoutMs ?? KAFKA_DEFAULTS.messageTimeoutMs,
      compression: options.compression ?? KAFKA_DEFAULTS.compression,
    });
    const metadata = new KafkaMetadataClient(options);
    try {
      await Promise.all([producer.connect(timeoutMs), metadata.connect(timeoutMs)]);
      const count = await metadata.partitionCount(options.topic, timeoutMs);
      if (count === undefined)
        throw LogErrors.misconfigured(
          `topic ${options.topic} does not exist: create it first (see docker-compose.redpanda.yml, job create-topics)`,
        );
      if (count < options.partitions)
        throw LogErrors.misconfigured(
          `topic ${options.topic} has ${count} partitions, fewer than URNA_LOG_PARTITIONS=${options.partitions}`,
        );
    } catch (error) {
      await Promise.allSettled([producer.disconnect(), metadata.disconnect()]);
      throw error instanceof UrnaError && error.code === 'LOG_MISCONFIGURED' ? error : LogErrors.unavailable(error);
    }
    return new KafkaLog(options, kafka, producer, metadata);
  }

  get topic(): string {
    return this.options.topic;
  }

  /**
   * The whole batch in one produce call; each vote's own offset comes from its delivery report.
   * librdkafka groups the messages into produce requests (linger.ms), so concurrent appends
   * share round trips too.
   */
  async append(votes: readonly Vote[]): Promise<LoggedVote[]> {
    if (votes.length === 0) return [];
    const messages = votes.map((vote) => ({
      partition: partitionOf(vote.userId, this.partitions),
      key: vote.userId,
      value: encodeVote(vote),
    }));
    let offsets: string[];
    try {
      offsets = await this.producer.produce(this.options.topic, messages);
    } catch (error) {
      throw LogErrors.unavailable(error);
    }
    return votes.map((vote, i) => {
      const offset = offsets[i];
      if (offset === undefined) throw LogErrors.unavailable(new Error('the broker returned no offset'));
      return { vote, partition: messages[i]!.partition, position: positionOfOffset(offset) };
    });
  }

  /** One message per partition through the same idempotent acks=all producer. */
  async appendCloseMarker(electionId: string, closedAt = Date.now(), signature?: string): Promise<LoggedCloseMarker[]> {
    const value = encodeCloseMarker(electionId, closedAt, signature);
    const messages = Array.from({ length: this.partitions }, (_, partition) => ({ partition, key: `close/${electionId}`, value }));
    let offsets: string[];
    try {
      offsets = await this.producer.produce(this.options.topic, messages);
    } catch (error) {
      throw LogErrors.unavailable(error);
    }
    return offsets.map((offset, partition) => ({ marker: { electionId, closedAt }, partition, position: positionOfOffset(offset) }));
  }

  async consume(options: ConsumerOptions, handler: BatchHandler): Promise<RunningConsumer> {
    const member = await startKafkaConsumer(
      this.kafka,
      {
        topic: this.options.topic,
        sessionTimeoutMs: this.options.sessionTimeoutMs ?? KAFKA_DEFAULTS.sessionTimeoutMs,
        partitionsConcurrently: this.options.partitionsConcurrently ?? KAFKA_DEFAULTS.partitionsConcurrently,
        fetchMaxWaitMs: this.options.fetchMaxWaitMs ?? KAFKA_DEFAULTS.fetchMaxWaitMs,
        staticMembership: this.options.staticMembership ?? true,
      },
      { ...options, group: this.groupId(options.group) },
      handler,
      this.inFlight,
    );
    const running: RunningConsumer = {
      stop: async () => {
        this.consumers.delete(running);
        await member.stop();
      },
    };
    this.consumers.add(running);
    return running;
  }

  /**
   * Lag from the group's committed offsets and the partitions' high watermarks. `pending` is
   * what this process's members hold uncommitted; other processes' in-hand records count as
   * undelivered, since Kafka cannot tell them apart.
   */
  async backlog(projectionGroup: string): Promise<GroupBacklog> {
    const group = this.groupId(projectionGroup);
    const probe = await this.offsetProbe(group);
    const partitions = Array.from({ length: this.partitions }, (_, partition) => ({ topic: this.options.topic, partition }));
    try {
      const [committed, marks] = await Promise.all([
        probe.committed(partitions, this.timeoutMs),
        Promise.all(partitions.map(({ partition }) => this.metadata.watermarks(this.options.topic, partition, this.timeoutMs))),
      ]);
      let lag = 0;
      marks.forEach(({ low, high }, partition) => {
        const offset = Number(committed.find((c) => c.partition === partition)?.offset ?? -1);
        lag += Math.max(0, high - (offset >= 0 ? offset : low));
      });
      const pending = Math.min(lag, this.inFlight.of(group));
      return { undelivered: lag - pending, pending };
    } catch (error) {
      throw LogErrors.unavailable(error);
    }
  }

  private groupId(group: string): string {
    return `${this.options.groupPrefix ?? ''}${group}`;
  }

  /** A consumer that never subscribes: it only reads the group's committed offsets. */
  private offsetProbe(group: string): Promise<KafkaJS.Consumer> {
    let probe = this.offsetProbes.get(group);
    if (probe === undefined) {
      const consumer = this.kafka.consumer({ kafkaJS: { groupId: group, autoCommit: false } });
      probe = consumer.connect().then(() => consumer);
      probe.catch(() => this.offsetProbes.delete(group));
      this.offsetProbes.set(group, probe);
    }
    return probe;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    const probes = [...this.offsetProbes.values()];
    this.offsetProbes.clear();
    await Promise.allSettled([
      ...probes.map(async (p) => (await p).disconnect()),
      this.producer.flush(this.timeoutMs).finally(() => this.producer.disconnect()),
      this.metadata.disconnect(),
    ]);
  }
}
