import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDbLocal, freePort, RedisServer } from '@urna/embedded';
import { createDynamoClient, ensureTables, tableNames } from '@urna/store';
import { loadOrCreateSecrets } from './secrets.ts';
import { SupervisedService, type LogSink } from './supervisor.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface StackOptions {
  readonly dataDir: string;
  /** Fixed ports (npm start) or free ones (tests). */
  readonly ports: 'default' | 'free';
  /** Reuse running infrastructure instead of starting redis-server / DynamoDB Local. */
  readonly redisUrl?: string;
  readonly dynamoEndpoint?: string;
  /** DynamoDB Local keeps its data in the data dir (true) or in memory. */
  readonly dynamoOnDisk?: boolean;
  readonly logs: 'console' | 'files';
  /** Extra environment for every service (e.g. URNA_LOG_PREFIX for isolation in tests). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra `node` flags per service name (benchmarks: `--cpu-prof`). */
  readonly nodeArgs?: Readonly<Record<string, readonly string[]>>;
}

export const DEFAULT_PORTS = { gateway: 8080, ingest: 8081, results: 8082, workerLive: 8083, workerStore: 8084, recount: 8085, redis: 6380, dynamo: 8000 } as const;

export interface Stack {
  readonly urls: { readonly gateway: string; readonly ingest: string; readonly results: string; readonly recount: string; readonly redis: string; readonly dynamo: string };
  readonly services: ReadonlyMap<string, SupervisedService>;
  readonly redis: RedisServer | undefined;
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts infrastructure (unless given) and every service as its own supervised process. */
export async function startStack(options: StackOptions): Promise<Stack> {
  mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
  const port = async (name: keyof typeof DEFAULT_PORTS) => (options.ports === 'default' ? DEFAULT_PORTS[name] : freePort());
  const secrets = await loadOrCreateSecrets(join(options.dataDir, 'secrets.json'));

  const redis = options.redisUrl === undefined ? await RedisServer.start({ dataDir: join(options.dataDir, 'redis'), port: await port('redis') }) : undefined;
  const dynamo = options.dynamoEndpoint === undefined
    ? await DynamoDbLocal.start({ port: await port('dynamo'), ...(options.dynamoOnDisk === false ? {} : { dataDir: join(options.dataDir, 'dynamodb') }) })
    : undefined;
  const redisUrl = options.redisUrl ?? (redis as RedisServer).url;
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo as DynamoDbLocal).endpoint;
  const client = createDynamoClient({ endpoint: dynamoEndpoint });
  await ensureTables(client, tableNames(options.env?.URNA_TABLE_PREFIX ?? 'urna_'));
  client.destroy();

  const ports = { gateway: await port('gateway'), ingest: await port('ingest'), results: await port('results'), workerLive: await port('workerLive'), workerStore: await port('workerStore'), recount: await port('recount') };
  const local = (p: number) => `http://127.0.0.1:${p}`;
  const env: Record<string, string> = {
    URNA_REDIS_URL: redisUrl, URNA_DYNAMODB_ENDPOINT: dynamoEndpoint,
    URNA_DEV_MODE: '1', URNA_DEV_ISSUER_KEY: JSON.stringify(secrets.dev.privateJwk), URNA_AUTH_JWKS: JSON.stringify(secrets.dev.jwks),
    URNA_VOTING_TOKEN_SECRET: secrets.votingSecret, URNA_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const specs = [
    { name: 'ingest', entry: 'ingest/src/main.ts', env: { ...env, URNA_INGEST_PORT: String(ports.ingest) }, healthUrl: `${local(ports.ingest)}/healthz` },
    { name: 'results-sse', entry: 'results-sse/src/main.ts', env: { ...env, URNA_RESULTS_PORT: String(ports.results) }, healthUrl: `${local(ports.results)}/healthz` },
    { name: 'tally-live', entry: 'tally-worker/src/main.ts', env: { ...env, URNA_PROJECTION: 'live', URNA_WORKER_NAME: 'live-1', URNA_WORKER_PORT: String(ports.workerLive) }, healthUrl: `${local(ports.workerLive)}/healthz` },
    { name: 'tally-store', entry: 'tally-worker/src/main.ts', env: { ...env, URNA_PROJECTION: 'store', URNA_WORKER_NAME: 'store-1', URNA_WORKER_PORT: String(ports.workerStore) }, healthUrl: `${local(ports.workerStore)}/healthz` },
    { name: 'recount', entry: 'recount/src/main.ts', env: { ...env, URNA_RECOUNT_PORT: String(ports.recount) }, healthUrl: `${local(ports.recount)}/healthz` },
    { name: 'gateway', entry: 'gateway/src/main.ts', env: { ...env, URNA_GATEWAY_PORT: String(ports.gateway), URNA_INGEST_URL: local(ports.ingest), URNA_RESULTS_URL: local(ports.results), URNA_LIFECYCLE_URL: local(ports.recount) }, healthUrl: `${local(ports.gateway)}/healthz` },
  ];
  const services = new Map<string, SupervisedService>();
  for (const spec of specs) {
    const sink: LogSink = options.logs === 'console' ? { kind: 'console' } : { kind: 'file', path: join(options.dataDir, 'logs', `${spec.name}.log`) };
    const nodeArgs = options.nodeArgs?.[spec.name];
    const service = new SupervisedService(nodeArgs === undefined ? spec : { ...spec, nodeArgs }, REPO_ROOT, sink);
    services.set(spec.name, service);
    service.start();
  }
  const stop = async () => {
    await Promise.all([...services.values()].map((s) => s.stop()));
    await Promise.all([redis?.stop(), dynamo?.stop()]);
  };
  try {
    await Promise.all([...services.values()].map((s) => s.waitHealthy()));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: { gateway: local(ports.gateway), ingest: local(ports.ingest), results: local(ports.results), recount: local(ports.recount), redis: redisUrl, dynamo: dynamoEndpoint },
    services, redis, env, stop,
  };
}
