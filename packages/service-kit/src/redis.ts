import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A connection to the read model: one redis-server, or a Redis Cluster (URNA_REDIS_CLUSTER). */
export type RedisClient = Redis | Cluster;

/**
 * Connection for request paths: no offline queue, one retry, bounded command time, so a Redis
 * outage surfaces as a fast 503 instead of requests piling up.
 */
export function failFastRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5_000, ...extra });
}

/** Connection for background loops and subscriptions: queues while reconnecting. */
export function patientRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...extra });
}

/** URNA_REDIS_CLUSTER parsed: seed nodes and the password every node shares. */
export interface ClusterSeeds {
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly password?: string;
}

/**
 * `redis://[:password@]host:port,host:port,…` (each seed may be a URL or `host:port`; a password,
 * if any, is given once) → the seeds, or a message saying what is wrong.
 */
export function parseClusterSeeds(text: string): ClusterSeeds | string {
  const nodes: Array<{ host: string; port: number }> = [];
  let password: string | undefined;
  for (const item of text.split(',').map((s) => s.trim())) {
    let url: URL;
    try {
      url = new URL(/^rediss?:\/\//.test(item) ? item : `redis://${item}`);
    } catch {
      return `"${item}" is not host:port or a redis:// URL`;
    }
    const port = Number(url.port);
    if (url.hostname === '' || !Number.isInteger(port) || port < 1) return `"${item}" needs a host and a port`;
    if (url.password !== '') {
      if (password !== undefined && password !== decodeURIComponent(url.password)) return 'seeds carry different passwords';
      password = decodeURIComponent(url.password);
    }
    nodes.push({ host: url.hostname, port });
  }
  return { nodes, ...(password === undefined ? {} : { password }) };
}

/** The part of a service's config that says where the read model lives. */
export interface ReadModelTarget {
  readonly URNA_REDIS_URL: string;
  readonly URNA_REDIS_CLUSTER?: ClusterSeeds | undefined;
}

/**
 * The read model's connection (live tally, election configs, rate limits, proof-of-work,
 * notices, BullMQ): URNA_REDIS_URL, or ioredis' cluster client on URNA_REDIS_CLUSTER. A cluster
 * connection resolves once it has the slot map. `fail-fast` and `patient` mean what they mean
 * for one server. The Redis log never uses this: it stays on URNA_REDIS_URL (README, "Redis Cluster").
 */
export async function readModelRedis(config: ReadModelTarget, kind: 'fail-fast' | 'patient'): Promise<RedisClient> {
  const seeds = config.URNA_REDIS_CLUSTER;
  if (seeds === undefined) return kind === 'fail-fast' ? failFastRedis(config.URNA_REDIS_URL) : patientRedis(config.URNA_REDIS_URL);
  const auth = seeds.password === undefined ? {} : { password: seeds.password };
  const options: ClusterOptions =
    kind === 'fail-fast'
      ? { redisOptions: { ...auth, maxRetriesPerRequest: 1, commandTimeout: 5_000 } }
      : // BullMQ's workers require maxRetriesPerRequest: null on the nodes' connections
        { redisOptions: { ...auth, maxRetriesPerRequest: null } };
  const cluster = new Cluster(
    seeds.nodes.map((n) => ({ host: n.host, port: n.port })),
    options,
  );
  if (cluster.status !== 'ready') await new Promise<void>((resolve) => cluster.once('ready', () => resolve()));
  return cluster;
}

/** Every primary of a cluster, or the one server: for per-node checks (CONFIG GET). */
export function primariesOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** The env key a client's connection came from, for error messages that name it. */
export function redisSettingOf(client: RedisClient): 'URNA_REDIS_CLUSTER' | 'URNA_REDIS_URL' {
  return client instanceof Cluster ? 'URNA_REDIS_CLUSTER' : 'URNA_REDIS_URL';
}
