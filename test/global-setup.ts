import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DynamoDbLocal, RedisServer } from '@urna/embedded';
import { createDynamoClient, ensureTables } from '@urna/store';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    dynamoEndpoint: string;
  }
}

/** One real redis-server and one DynamoDB Local for the whole run; tests isolate by random names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'urna-test-'));
  const [redis, dynamo] = await Promise.all([RedisServer.start({ dataDir: join(dir, 'redis') }), DynamoDbLocal.start({})]);
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTables(client);
  client.destroy();
  project.provide('redisUrl', redis.url);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => {
    await Promise.all([redis.stop(), dynamo.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
