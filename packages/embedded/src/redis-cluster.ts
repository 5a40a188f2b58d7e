import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Socket } from 'node:net';
import { waitFor } from './ports.ts';
import { RedisServer } from './redis-server.ts';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Parent directory: node i keeps its AOF and nodes.conf under `<dataDir>/node-<i>`. */
  readonly dataDir: string;
  /** Primaries (each gets `replicasPerPrimary` replicas); at least 3, Redis Cluster's minimum. @defaultValue 3 */
  readonly primaries?: number;
  /** @defaultValue 1 */
  readonly replicasPerPrimary?: number;
  /** `cluster-node-timeout`: a primary silent this long is failed over to its replica. @defaultValue 2000 */
  readonly nodeTimeoutMs?: number;
  /** Per node. @defaultValue '256mb' */
  readonly maxmemory?: string;
  readonly binary?: string;
  readonly cliBinary?: string;
}

/**
 * A Redis Cluster of redis-server child processes on loopback (Debian's redis-server 7.0): each
 * node is an embedded RedisServer (AOF with `appendfsync always`, a shared password also used
 * as `masterauth`, `noeviction`, its own data dir and free port), joined by
 * `redis-cli --cluster create … --cluster-replicas N`. Ready once every node reports
 * `cluster_state:ok`. Replication inside a cluster is asynchronous: a failover can lose the
 * writes its replica had not received (see README, "Redis Cluster").
 */
export class RedisCluster {
  private constructor(
    readonly nodes: readonly RedisServer[],
    readonly password: string,
  ) {}

  static async start(options: RedisClusterOptions): Promise<RedisCluster> {
    const primaries = options.primaries ?? 3;
    const replicas = options.replicasPerPrimary ?? 1;
    if (primaries < 3) throw new RangeError('a Redis Cluster needs at least 3 primaries');
    const password = randomBytes(18).toString('base64url');
    const started = await Promise.allSettled(
      Array.from({ length: primaries * (1 + replicas) }, (_, i) =>
        RedisServer.start({
          dataDir: join(options.dataDir, `node-${i}`),
          password,
          maxmemory: options.maxmemory ?? '256mb',
          cluster: { nodeTimeoutMs: options.nodeTimeoutMs ?? 2_000 },
          ...(options.binary === undefined ? {} : { binary: options.binary }),
        }),
      ),
    );
    const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const cluster = new RedisCluster(nodes, password);
    try {
      const failed = started.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      // the password reaches redis-cli through its environment, never its command line
      await run(
        options.cliBinary ?? 'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
        { env: { ...process.env, REDISCLI_AUTH: password }, timeout: 60_000 },
      );
      await waitFor('Redis Cluster state ok on every node', async () => (await cluster.states()).every((s) => s === 'ok'), 30_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `host:port,…` of every node: the seed list of URNA_REDIS_CLUSTER (with the password, see `seeds`). */
  get addresses(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** URNA_REDIS_CLUSTER's value: every node as a seed, the first one carrying the password. */
  get seeds(): string {
    return this.nodes.map((n, i) => (i === 0 ? `redis://:${this.password}@127.0.0.1:${n.port}` : `127.0.0.1:${n.port}`)).join(',');
  }

  /** `cluster_state` as each node reports it (`ok`, `fail`, or undefined for a node that does not answer). */
  async states(): Promise<Array<string | undefined>> {
    return Promise.all(
      this.nodes.map(async (n) => {
        const reply = await ask(n.port, `AUTH ${this.password}\r\nCLUSTER INFO\r\n`, /cluster_state:(\w+)/);
        return reply?.[1];
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** Sends raw commands and reads until the answer matches (or 1 s passes: undefined). */
function ask(port: number, lines: string, until: RegExp): Promise<RegExpExecArray | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let text = '';
    const done = (value: RegExpExecArray | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = until.exec(text);
      if (match !== null) done(match);
    });
    socket.connect(port, '127.0.0.1', () => socket.write(lines));
  });
}
