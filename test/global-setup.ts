import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DynamoDbLocal, RedisServer } from '@urna/embedded';
import { KafkaCluster } from '@urna/embedded/kafka';
import { createDynamoClient, ensureTables } from '@urna/store';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    dynamoEndpoint: string;
    /** bootstrap.servers of the run's Kafka cluster: three local KRaft brokers, or URNA_TEST_KAFKA_BROKERS. */
    kafkaBrokers: string;
  }
}

/**
 * A Kafka cluster for the run: three Apache Kafka brokers (KRaft, each also a controller; RF 3,
 * min.insync.replicas 2) as child JVMs, or, with URNA_TEST_KAFKA_BROKERS=host:port,…, an
 * external cluster (say a Redpanda) on which the suites create their own random topics.
 */
async function startKafka(dir: string): Promise<{ brokers: string; stop: () => Promise<void> }> {
  const external = process.env.URNA_TEST_KAFKA_BROKERS;
  if (external !== undefined && external !== '') return { brokers: external, stop: async () => {} };
  const started = Date.now();
  const cluster = await KafkaCluster.start({ dataDir: join(dir, 'kafka'), nodes: 3 });
  console.log(`urna: 3-broker Kafka cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.bootstrapServers})`);
  return { brokers: cluster.bootstrapServers, stop: () => cluster.stop() };
}

interface Servers {
  readonly redisUrl: string;
  readonly dynamoEndpoint: string;
  readonly kafkaBrokers: string;
  stop(): Promise<void>;
}

async function startServers(): Promise<Servers> {
  const dir = mkdtempSync(join(tmpdir(), 'urna-test-'));
  const started = await Promise.allSettled([
    RedisServer.start({ dataDir: join(dir, 'redis') }),
    DynamoDbLocal.start({}),
    startKafka(dir),
  ] as const);
  const [redisStart, dynamoStart, kafkaStart] = started;
  if (redisStart.status === 'rejected' || dynamoStart.status === 'rejected' || kafkaStart.status === 'rejected') {
    // stop what did start: a failed set-up must not leave servers behind
    await Promise.allSettled([
      redisStart.status === 'fulfilled' ? redisStart.value.stop() : undefined,
      dynamoStart.status === 'fulfilled' ? dynamoStart.value.stop() : undefined,
      kafkaStart.status === 'fulfilled' ? kafkaStart.value.stop() : undefined,
    ]);
    throw started.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined)).find((reason) => reason !== undefined);
  }
  const [redis, dynamo, kafka] = [redisStart.value, dynamoStart.value, kafkaStart.value];
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTables(client);
  client.destroy();
  return {
    redisUrl: redis.url,
    dynamoEndpoint: dynamo.endpoint,
    kafkaBrokers: kafka.brokers,
    stop: async () => {
      await Promise.all([redis.stop(), dynamo.stop(), kafka.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The int and e2e tiers' set-up (vitest calls it only for a tier with tests to run): one real
 * redis-server, one DynamoDB Local and one Kafka cluster (see startKafka) for the whole run, shared
 * by both tiers (their set-ups run in one process); tests isolate by random names (keys,
 * tables' election ids, topics, groups).
 */
const shared = globalThis as { urnaTestServers?: { servers: Promise<Servers>; users: number } };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.urnaTestServers ??= { servers: startServers(), users: 0 };
  const entry = shared.urnaTestServers;
  entry.users++;
  const servers = await entry.servers;
  project.provide('redisUrl', servers.redisUrl);
  project.provide('dynamoEndpoint', servers.dynamoEndpoint);
  project.provide('kafkaBrokers', servers.kafkaBrokers);
  return async () => {
    if (--entry.users > 0) return;
    shared.urnaTestServers = undefined;
    await servers.stop();
  };
}
