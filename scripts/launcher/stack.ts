import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDbLocal, freePort, RedisCluster, RedisServer } from '@urna/embedded';
import { prepareEdge, readEdgeConfig } from '@urna/edge';
import { createDynamoClient, ensureTables, tableNames } from '@urna/store';
import { signerFromSkey } from '@urna/transparency';
import { processName, readProcessCounts, workerPartitionPlan } from './processes.ts';
import { superviseServer } from './server-supervision.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import { SupervisedService, type LogSink } from './supervisor.ts';
import { reniceProcess, storeNiceOf } from './priority.ts';

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
  /**
   * Restart the embedded redis-server and DynamoDB Local when they die (npm start). Off for
   * tests and the chaos run, which crash and restart servers themselves.
   */
  readonly superviseServers?: boolean;
  /** Overrides of DEFAULT_PORTS (npm start reads them from PORT_SETTINGS' env keys). */
  readonly portOverrides?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
}

export const DEFAULT_PORTS = {
  gateway: 8080,
  ingest: 8081,
  results: 8082,
  workerLive: 8083,
  workerStore: 8084,
  recount: 8085,
  workerTransparency: 8086,
  redis: 6380,
  dynamo: 8000,
} as const;
/** The setting that moves each fixed port of `npm start`. */
export const PORT_SETTINGS: Readonly<Record<keyof typeof DEFAULT_PORTS, string>> = {
  gateway: 'URNA_EDGE_PORT',
  ingest: 'URNA_INGEST_PORT',
  results: 'URNA_RESULTS_PORT',
  workerLive: 'URNA_TALLY_LIVE_PORT',
  workerStore: 'URNA_TALLY_STORE_PORT',
  recount: 'URNA_RECOUNT_PORT',
  workerTransparency: 'URNA_TALLY_TRANSPARENCY_PORT',
  redis: 'URNA_EMBEDDED_REDIS_PORT',
  dynamo: 'URNA_EMBEDDED_DYNAMODB_PORT',
};

/** A fixed port is taken: one line naming the port and the setting that moves it. */
export class PortTakenError extends Error {
  constructor(
    readonly port: number,
    readonly setting: string,
  ) {
    super(`port ${port} is already in use; stop what holds it or set ${setting} to another port`);
    this.name = 'PortTakenError';
  }
}

/** The services whose processes expose `/metrics` (Prometheus' jobs). */
export type ServiceGroup = 'ingest' | 'results-sse' | 'tally-live' | 'tally-store' | 'tally-transparency' | 'recount';

export interface Stack {
  readonly urls: {
    readonly gateway: string;
    readonly ingest: string;
    readonly results: string;
    readonly recount: string;
    readonly redis: string;
    readonly dynamo: string;
  };
  /** Every process of each service (base URLs, each its own port; `/metrics` there), first one first. */
  readonly nodes: Readonly<Record<ServiceGroup, readonly string[]>>;
  /** By process name: `ingest`, `ingest-2`, …, `tally-live`, `tally-live-2`, … (see processes.ts). */
  readonly services: ReadonlyMap<string, SupervisedService>;
  readonly redis: RedisServer | undefined;
  /** The local 3+3 Redis Cluster started for URNA_REDIS_CLUSTER=embedded (the read model's home), if any. */
  readonly redisCluster: RedisCluster | undefined;
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** URNA_REDIS_MAXMEMORY: the embedded redis-server's maxmemory (noeviction: beyond it writes fail, nothing is evicted). */
function embeddedRedisMaxmemory(env: NodeJS.ProcessEnv): string {
  const value = env.URNA_REDIS_MAXMEMORY ?? '1gb';
  if (!/^[1-9]\d*(kb|mb|gb)$/i.test(value))
    throw new Error(`invalid configuration:\n  URNA_REDIS_MAXMEMORY: a size like 512mb or 2gb, got "${value}"`);
  return value;
}

/** Starts infrastructure (unless given) and every service as its own supervised process. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const storeNice = storeNiceOf({ ...process.env, ...options.env });
  mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
  // how many processes of each service, and the workers' partitions, checked before anything starts
  const merged = { ...process.env, ...options.env };
  const counts = readProcessCounts(merged);
  const partitionSets = workerPartitionPlan(merged, counts);
  const fixed = (name: keyof typeof DEFAULT_PORTS) => options.portOverrides?.[name] ?? DEFAULT_PORTS[name];
  if (options.ports === 'default') {
    // every fixed port is checked before anything starts, so a taken one stops nothing half-way
    const needed = (Object.keys(DEFAULT_PORTS) as Array<keyof typeof DEFAULT_PORTS>).filter(
      (name) => !(name === 'redis' && options.redisUrl !== undefined) && !(name === 'dynamo' && options.dynamoEndpoint !== undefined),
    );
    for (const name of needed) if (!(await portIsFree(fixed(name)))) throw new PortTakenError(fixed(name), PORT_SETTINGS[name]);
  }
  const port = async (name: keyof typeof DEFAULT_PORTS) => (options.ports === 'free' ? freePort() : fixed(name));
  const secrets = await loadOrCreateSecrets(join(options.dataDir, 'secrets.json'));

  const redis =
    options.redisUrl === undefined
      ? await RedisServer.start({
          dataDir: join(options.dataDir, 'redis'),
          port: await port('redis'),
          password: secrets.redisPassword,
          maxmemory: embeddedRedisMaxmemory({ ...process.env, ...options.env }),
        })
      : undefined;
  const dynamo =
    options.dynamoEndpoint === undefined
      ? await DynamoDbLocal.start({
          port: await port('dynamo'),
          ...(options.dynamoOnDisk === false ? {} : { dataDir: join(options.dataDir, 'dynamodb') }),
        })
      : undefined;
  // URNA_REDIS_CLUSTER=embedded: a local cluster of 3 primaries + 3 replicas, kept in the data
  // dir across restarts, holds the read model; the Redis log stays on the redis-server above
  const redisCluster =
    merged.URNA_REDIS_CLUSTER === 'embedded'
      ? await RedisCluster.open({ dataDir: join(options.dataDir, 'redis-cluster') }).catch(async (error: unknown) => {
          await Promise.all([redis?.stop(), dynamo?.stop()]);
          throw error;
        })
      : undefined;
  let stopped = false;
  if (options.superviseServers === true) {
    const log = (line: string) => console.log(line);
    if (redis !== undefined) superviseServer('redis-server', redis, log, () => stopped);
    if (dynamo !== undefined) superviseServer('DynamoDB Local', dynamo, log, () => stopped);
  }
  const redisUrl = options.redisUrl ?? (redis as RedisServer).url;
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo as DynamoDbLocal).endpoint;
  const client = createDynamoClient({ endpoint: dynamoEndpoint });
  await ensureTables(client, tableNames(options.env?.URNA_TABLE_PREFIX ?? 'urna_'));
  client.destroy();

  // the first process of a service takes its fixed port (npm start), extra ones free ports
  const many = async (name: keyof typeof DEFAULT_PORTS, n: number) => [
    await port(name),
    ...(await Promise.all(Array.from({ length: n - 1 }, () => freePort()))),
  ];
  const ports = {
    gateway: await port('gateway'),
    ingest: await many('ingest', counts.ingest),
    results: await many('results', counts.results),
    workerLive: await many('workerLive', counts.live),
    workerStore: await many('workerStore', counts.store),
    recount: await many('recount', counts.recount),
    workerTransparency: await many('workerTransparency', counts.transparency),
  };
  const local = (p: number) => `http://127.0.0.1:${p}`;
  const env: Record<string, string> = {
    URNA_REDIS_URL: redisUrl,
    URNA_DYNAMODB_ENDPOINT: dynamoEndpoint,
    // URNA_MODE=production: no dev issuer; the identity provider comes from URNA_AUTH_* (checked by the services)
    ...((options.env?.URNA_MODE ?? process.env.URNA_MODE) === 'production'
      ? { URNA_MODE: 'production' }
      : {
          URNA_DEV_MODE: '1',
          URNA_DEV_ISSUER_KEY: JSON.stringify(secrets.dev.privateJwk),
          URNA_AUTH_JWKS: JSON.stringify(secrets.dev.jwks),
        }),
    URNA_VOTING_TOKEN_SECRET: secrets.votingSecret,
    URNA_LOG_SIGNING_KEY: secrets.logSigningKey,
    URNA_LOG_LEVEL: 'warn',
    ...options.env,
    ...(redisCluster === undefined ? {} : { URNA_REDIS_CLUSTER: redisCluster.seeds }),
  };
  // the transparency log's keys: from the deployment's config, else generated once (secrets.json);
  // the signer key and the pseudonym root go only to the processes that sign
  const logKey = options.env?.URNA_TRANSPARENCY_KEY ?? process.env.URNA_TRANSPARENCY_KEY ?? secrets.transparency.skey;
  const signing = {
    URNA_TRANSPARENCY_KEY: logKey,
    URNA_PSEUDONYM_SECRET: options.env?.URNA_PSEUDONYM_SECRET ?? process.env.URNA_PSEUDONYM_SECRET ?? secrets.transparency.pseudonymSecret,
  };
  env.URNA_TRANSPARENCY_VKEY = signerFromSkey(logKey).vkey;
  let edgeCommand: readonly string[];
  try {
    edgeCommand = prepareEdge({
      prefix: join(options.dataDir, 'edge'),
      listen: `127.0.0.1:${ports.gateway}`,
      ingest: ports.ingest.map((p) => `127.0.0.1:${p}`),
      results: ports.results.map((p) => `127.0.0.1:${p}`),
      lifecycle: ports.recount.map((p) => `127.0.0.1:${p}`),
      webRoot: options.env?.URNA_WEB_ROOT ?? process.env.URNA_WEB_ROOT ?? join(REPO_ROOT, 'web', 'dist'),
      config: readEdgeConfig({ ...process.env, ...options.env }),
    });
  } catch (error) {
    await Promise.all([redis?.stop(), dynamo?.stop(), redisCluster?.stop()]);
    throw error;
  }
  if (storeNice > 0 && dynamo?.pid !== undefined) reniceProcess(dynamo.pid, storeNice);
  const workers = (projection: keyof typeof partitionSets, workerPorts: readonly number[], extra: Record<string, string> = {}) => {
    const sets = partitionSets[projection];
    return workerPorts.map((p, i) => ({
      ...(projection === 'store' && storeNice > 0 ? { nice: storeNice } : {}),
      name: processName(`tally-${projection}`, i),
      entry: 'tally-worker/src/main.ts',
      env: {
        ...env,
        ...extra,
        URNA_PROJECTION: projection,
        // stable per process: a restarted worker reads its own pending entries first
        URNA_WORKER_NAME: `${projection}-${i + 1}`,
        ...(sets[i] === undefined ? {} : { URNA_WORKER_PARTITIONS: sets[i] }),
        URNA_WORKER_PORT: String(p),
      },
      healthUrl: `${local(p)}/healthz`,
    }));
  };
  const specs = [
    ...ports.ingest.map((p, i) => ({
      name: processName('ingest', i),
      entry: 'ingest/src/main.ts',
      env: { ...env, ...signing, URNA_INGEST_PORT: String(p) },
      healthUrl: `${local(p)}/healthz`,
    })),
    ...ports.results.map((p, i) => ({
      name: processName('results-sse', i),
      entry: 'results-sse/src/main.ts',
      env: { ...env, URNA_RESULTS_PORT: String(p) },
      healthUrl: `${local(p)}/healthz`,
    })),
    ...workers('live', ports.workerLive),
    ...workers('store', ports.workerStore),
    ...workers('transparency', ports.workerTransparency, signing),
    ...ports.recount.map((p, i) => ({
      name: processName('recount', i),
      entry: 'recount/src/main.ts',
      env: { ...env, URNA_RECOUNT_PORT: String(p) },
      healthUrl: `${local(p)}/healthz`,
    })),
    { name: 'edge', entry: 'edge/urna.conf.template', env: {}, healthUrl: `${local(ports.gateway)}/healthz`, command: edgeCommand },
  ];
  const services = new Map<string, SupervisedService>();
  for (const spec of specs) {
    const sink: LogSink =
      options.logs === 'console' ? { kind: 'console' } : { kind: 'file', path: join(options.dataDir, 'logs', `${spec.name}.log`) };
    const nodeArgs = options.nodeArgs?.[spec.name];
    const service = new SupervisedService(nodeArgs === undefined ? spec : { ...spec, nodeArgs }, REPO_ROOT, sink);
    services.set(spec.name, service);
    service.start();
  }
  const stop = async () => {
    stopped = true;
    await Promise.all([...services.values()].map((s) => s.stop()));
    await Promise.all([redis?.stop(), dynamo?.stop(), redisCluster?.stop()]);
  };
  try {
    await Promise.all([...services.values()].map((s) => s.waitHealthy()));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: {
      gateway: local(ports.gateway),
      ingest: local(ports.ingest[0] as number),
      results: local(ports.results[0] as number),
      recount: local(ports.recount[0] as number),
      redis: redisUrl,
      dynamo: dynamoEndpoint,
    },
    nodes: {
      ingest: ports.ingest.map(local),
      'results-sse': ports.results.map(local),
      'tally-live': ports.workerLive.map(local),
      'tally-store': ports.workerStore.map(local),
      'tally-transparency': ports.workerTransparency.map(local),
      recount: ports.recount.map(local),
    },
    services,
    redis,
    redisCluster,
    env,
    stop,
  };
}
