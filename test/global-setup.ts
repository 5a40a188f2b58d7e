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

/**
 * One real redis-server, one DynamoDB Local and one Kafka mock cluster (kcat) for the whole
 * run; tests isolate by random names (keys, tables' election ids, topics, groups).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'urna-test-'));
  const [redis, dynamo, kafka] = await Promise.all([RedisServer.start({ dataDir: join(dir, 'redis') }), DynamoDbLocal.start({}), KafkaMockCluster.start()]);
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTables(client);
  client.destroy();
  project.provide('redisUrl', redis.url);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('kafkaBrokers', kafka.bootstrapServers);
  return async () => {
    await Promise.all([redis.stop(), dynamo.stop(), kafka.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
