import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DynamoDbLocal, KafkaMockCluster, RedisServer } from '@urna/embedded';
import { createDynamoClient, ensureTables } from '@urna/store';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    dynamoEndpoint: string;
    /** bootstrap.servers of librdkafka's mock cluster (in memory; see KafkaMockCluster). */
    kafkaBrokers: string;
  }
}

interface Servers {
  readonly redisUrl: string;
  readonly dynamoEndpoint: string;
  readonly kafkaBrokers: string;
  stop(): Promise<void>;
}

async function startServers(): Promise<Servers> {
  const dir = mkdtempSync(join(tmpdir(), 'urna-test-'));
  const [redis, dynamo, kafka] = await Promise.all([RedisServer.start({ dataDir: join(dir, 'redis') }), DynamoDbLocal.start({}), KafkaMockCluster.start()]);
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTables(client);
  client.destroy();
  return {
    redisUrl: redis.url, dynamoEndpoint: dynamo.endpoint, kafkaBrokers: kafka.bootstrapServers,
    stop: async () => {
      await Promise.all([redis.stop(), dynamo.stop(), kafka.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The int and e2e tiers' set-up (vitest calls it only for a tier with tests to run): one real
 * redis-server, one DynamoDB Local and one Kafka mock cluster (kcat) for the whole run, shared
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
