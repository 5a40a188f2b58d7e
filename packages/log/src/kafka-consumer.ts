import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { splitRecords } from '@urna/domain';
import type { BatchHandler, ConsumerOptions, RunningConsumer } from './port.ts';
import { decodeMessage } from './kafka-fields.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    throw new RangeError('the Kafka log assigns partitions through the consumer group; a fixed partition list is for the Redis Streams log');
  }
  const consumer = kafka.consumer({
    kafkaJS: {
      groupId: options.group,
      fromBeginning: true, // a new group (a new projection) replays the whole log
      autoCommit: false,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(settings.sessionTimeoutMs / 5)),
      maxWaitTimeInMs: settings.fetchMaxWaitMs,
    },
    'client.id': options.consumer,
    'js.consumer.max.batch.size': options.batchSize ?? 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [settings.topic] });
  let failures = 0;

  const applyBatch = async ({ batch }: KafkaJS.EachBatchPayload): Promise<void> => {
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
      await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
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

  await consumer.run({ partitionsConsumedConcurrently: settings.partitionsConcurrently, eachBatchAutoResolve: true, eachBatch: applyBatch });
  let stopped: Promise<void> | undefined;
  return {
    stop: () => (stopped ??= consumer.disconnect()),
  };
}
