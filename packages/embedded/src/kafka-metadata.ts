import { KafkaJS, RdKafka } from '@confluentinc/kafka-javascript';
import { waitFor } from './ports.ts';

/**
 * The ids of the live brokers the cluster's metadata lists (a fenced or dead broker is left
 * out), asked through a short-lived librdkafka client; rejects when no broker answers in time.
 */
export function brokerMetadata(bootstrap: readonly string[], timeoutMs: number): Promise<number[]> {
  const client = new RdKafka.Producer({ 'bootstrap.servers': bootstrap.join(','), 'client.id': 'urna-embedded-probe', log_level: 0 });
  return new Promise<number[]>((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (error) => {
      if (error) return reject(error);
      client.getMetadata({ timeout: timeoutMs }, (metadataError, metadata) => {
        if (metadataError) reject(metadataError);
        else resolve(metadata.brokers.map((b) => b.id));
      });
    });
  }).finally(() => new Promise<void>((resolve) => client.disconnect(() => resolve())));
}

async function withAdmin<T>(bootstrapServers: string, use: (admin: KafkaJS.Admin) => Promise<T>): Promise<T> {
  const kafka = new KafkaJS.Kafka({
    kafkaJS: { brokers: bootstrapServers.split(','), clientId: 'urna-embedded-admin', logLevel: KafkaJS.logLevel.NOTHING },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates a topic through the admin API (CreateTopics, as a deployment's admin step would; the
 * replication factor and min.insync.replicas are the cluster's defaults) and waits until every
 * partition has a leader. Works on any Kafka-protocol cluster (Kafka, Redpanda).
 */
export async function createKafkaTopic(
  bootstrapServers: string,
  topic: string,
  partitions: number,
  config: Readonly<Record<string, string>> = {},
): Promise<void> {
  await withAdmin(bootstrapServers, async (admin) => {
    await admin.createTopics({
      timeout: 30_000,
      topics: [{ topic, numPartitions: partitions, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
    });
  });
  await waitFor(
    `topic ${topic} with a leader for each partition`,
    async () => {
      const leaders = await topicLeaders(bootstrapServers, topic).catch(() => []);
      return leaders.length === partitions && leaders.every((l) => l >= 0);
    },
    30_000,
  );
}

/** The broker id leading each partition of `topic` (-1: none), by partition. */
export async function topicLeaders(bootstrapServers: string, topic: string): Promise<number[]> {
  return withAdmin(bootstrapServers, async (admin) => {
    const [metadata] = await admin.fetchTopicMetadata({ topics: [topic], timeout: 10_000 });
    return (metadata?.partitions ?? [])
      .slice()
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => p.leader);
  });
}
