import { KafkaJS, RdKafka } from '@confluentinc/kafka-javascript';

/** Connection settings shared by every Kafka client of one log. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Extra librdkafka properties for every client (security.protocol, sasl.*, ssl.*, …). */
  readonly librdkafka?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * librdkafka reports through the KafkaJS logger. Batch failures are reported to the caller's
 * `onError` already, so the library's own "error while processing message" line is dropped;
 * other warnings and errors go to stderr.
 */
const quietLogger = (): KafkaJS.Logger => {
  const logger: KafkaJS.Logger = {
    info: () => {},
    debug: () => {},
    warn: (message) => console.warn(`kafka: ${message}`),
    error: (message) => {
      if (!message.startsWith('Consumer encountered error while processing message')) console.error(`kafka: ${message}`);
    },
    namespace: () => logger,
    setLogLevel: () => {},
  };
  return logger;
};

/**
 * A consumer's logger: the quiet logger, and `onFatal` for librdkafka's fatal errors (after
 * which the consumer instance is unusable). Matched on librdkafka's own ERR__FATAL text only:
 * the library also logs "Seek error. This is effectively a fatal error", after which the
 * consumer goes on working, and a rejoin there would only cost a needless rebalance.
 */
export function memberLogger(onFatal: (message: string) => void): KafkaJS.Logger {
  const base = quietLogger();
  const logger: KafkaJS.Logger = {
    ...base,
    error: (message, extra) => {
      base.error(message, extra);
      if (message.includes('Local: Fatal error')) onFatal(message);
    },
    namespace: () => logger,
  };
  return logger;
}

export function createKafka(connection: KafkaConnection): KafkaJS.Kafka {
  return new KafkaJS.Kafka({
    ...connection.librdkafka,
    kafkaJS: { brokers: [...connection.brokers], clientId: connection.clientId, logLevel: KafkaJS.logLevel.WARN, logger: quietLogger() },
  });
}

/**
 * A plain librdkafka client for metadata and watermark queries: the KafkaJS admin's
 * fetchTopicOffsets goes through DescribeTopics, which older brokers (and librdkafka's mock
 * cluster) do not answer, while Metadata and ListOffsets work everywhere.
 */
export class KafkaMetadataClient {
  private readonly client: RdKafka.Producer;

  constructor(connection: KafkaConnection) {
    this.client = new RdKafka.Producer({
      ...connection.librdkafka,
      'bootstrap.servers': connection.brokers.join(','),
      'client.id': `${connection.clientId}-metadata`,
      'allow.auto.create.topics': false,
    });
  }

  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.connect({ timeout: timeoutMs }, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Partition count of `topic`, or undefined when the cluster does not have it. */
  partitionCount(topic: string, timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      this.client.getMetadata({ topic, timeout: timeoutMs }, (error, metadata) => {
        if (error) return reject(error);
        const found = metadata.topics.find((t) => t.name === topic);
        resolve(found === undefined || found.partitions.length === 0 ? undefined : found.partitions.length);
      });
    });
  }

  watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }> {
    return new Promise((resolve, reject) => {
      this.client.queryWatermarkOffsets(topic, partition, timeoutMs, (error, offsets) => {
        if (error) reject(error);
        else resolve({ low: offsets.lowOffset, high: offsets.highOffset });
      });
    });
  }

  disconnect(): Promise<void> {
    return new Promise((resolve) => {
      this.client.disconnect(() => resolve());
    });
  }
}
