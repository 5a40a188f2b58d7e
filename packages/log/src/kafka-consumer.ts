import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { backoffDelay, delay, splitRecords } from '@urna/domain';
import { CONSUMER_BACKOFF, CONSUMER_DEFAULTS, type BatchHandler, type ConsumerOptions, type RunningConsumer } from './port.ts';
import { decodeMessage } from './kafka-fields.ts';
import { memberLogger } from './kafka-client.ts';

export interface KafkaConsumerSettings {
  readonly topic: string;
  /** A member silent this long is presumed dead; its partitions move to the others. */
  readonly sessionTimeoutMs: number;
  /** Batches of different partitions applied at once by one member. */
  readonly partitionsConcurrently: number;
  /**
   * Longest time a fetch waits for data. Kafka and Redpanda answer a waiting fetch as soon as
   * data arrives, so this mostly bounds idle polling; librdkafka's mock cluster answers only at
   * the deadline, so there it adds directly to the end-to-end latency.
   */
  readonly fetchMaxWaitMs: number;
  /**
   * Static membership (KIP-345): the member's name is its `group.instance.id`, so a member
   * restarted within the session timeout gets its partitions back at once, with no rebalance,
   * instead of waiting for the old identity's session to expire. Two live members must never
   * share a name (the broker fences the older one). A static member that stops does not leave
   * the group: its partitions move to the others only after the session timeout.
   */
  readonly staticMembership: boolean;
}

/** Records handed to handlers in this process and not yet committed, per group. */
export class InFlightRecords {
  private readonly counts = new Map<string, number>();
  add(group: string, n: number): void {
    this.counts.set(group, (this.counts.get(group) ?? 0) + n);
  }
  of(group: string): number {
    return this.counts.get(group) ?? 0;
  }
}

/**
 * One consumer-group member. Per partition batch: decode, apply (the handler), then commit the
 * offset after the batch; nothing is committed before the handler resolved, so a crash, a
 * failed handler or a rebalance can only cause redelivery, never loss. A throwing handler makes
 * the client seek back to the batch's first offset after a back-off. `stop()` disconnects,
 * which waits for batches in hand to finish and commit before leaving the group.
 */
export async function startKafkaConsumer(
  kafka: KafkaJS.Kafka,
  settings: KafkaConsumerSettings,
  options: ConsumerOptions,
  handler: BatchHandler,
  inFlight: InFlightRecords,
): Promise<RunningConsumer> {
  if (options.partitions !== undefined) {
    throw new RangeError(
      'the Kafka log assigns partitions through the consumer group; a fixed partition list is for the Redis Streams log',
    );
  }
  let failures = 0;
  let stopped: Promise<void> | undefined;
  let rejoining: Promise<void> | undefined;
  let current: KafkaJS.Consumer | undefined;
  const stopping = new AbortController();

  /**
   * One librdkafka consumer for this member. A static member can be fenced with a fatal error
   * after its coordinator stalled past the session timeout (librdkafka issue #3437); a fatal
   * consumer is unusable, so the member then disconnects it and joins again under the same
   * name, which takes the stale identity's place. Uncommitted batches come again: harmless.
   */
  const join = async (): Promise<KafkaJS.Consumer> => {
    const consumer = kafka.consumer({
      kafkaJS: {
        groupId: options.group,
        fromBeginning: true, // a new group (a new projection) replays the whole log
        autoCommit: false,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: Math.max(100, Math.floor(settings.sessionTimeoutMs / 5)),
        maxWaitTimeInMs: settings.fetchMaxWaitMs,
        logger: memberLogger(onFatal),
      },
      'client.id': options.consumer,
      ...(settings.staticMembership ? { 'group.instance.id': options.consumer } : {}),
      'js.consumer.max.batch.size': options.batchSize ?? CONSUMER_DEFAULTS.batchSize,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [settings.topic] });
    await consumer.run({
      partitionsConsumedConcurrently: settings.partitionsConcurrently,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => applyBatch(consumer, payload),
    });
    return consumer;
  };

  const applyBatch = async (consumer: KafkaJS.Consumer, { batch }: KafkaJS.EachBatchPayload): Promise<void> => {
    const last = batch.messages.at(-1);
    if (last === undefined) return;
    const records = batch.messages.map((m) => decodeMessage(batch.partition, m.offset, m.value));
    const { votes, markers } = splitRecords(records);
    inFlight.add(options.group, records.length);
    try {
      await handler(votes, markers);
      failures = 0;
    } catch (error) {
      inFlight.add(options.group, -records.length);
      failures++;
      options.onError?.(error);
      await delay(backoffDelay(failures, CONSUMER_BACKOFF), stopping.signal);
      throw error; // the client seeks back: the same batch comes again
    }
    try {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    } catch (error) {
      // Applied but not committed (e.g. the partition moved in a rebalance): whoever reads the
      // partition next gets the batch again, and the idempotent projections make that harmless.
      options.onError?.(error);
    } finally {
      inFlight.add(options.group, -records.length);
    }
  };

  current = await join();
  function onFatal(message: string): void {
    if (stopped !== undefined || rejoining !== undefined || current === undefined) return;
    options.onError?.(new Error(`kafka consumer ${options.consumer}: fatal error, joining again: ${message}`));
    rejoining = (async () => {
      await current?.disconnect().catch(() => undefined);
      for (let attempt = 0; stopped === undefined; attempt++) {
        try {
          current = await join();
          return;
        } catch (error) {
          options.onError?.(error);
          await delay(backoffDelay(attempt + 1, CONSUMER_BACKOFF), stopping.signal);
        }
      }
    })().finally(() => (rejoining = undefined));
  }
  return {
    stop: () => {
      stopping.abort(); // a back-off in progress ends now
      return (stopped ??= (async () => {
        await rejoining;
        await current?.disconnect();
      })());
    },
  };
}
