import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    // a port checked free can be taken by another process before redis binds it (a busy shared
    // machine): a node that fails to start is tried again on new ports, twice
    const startNode = async (i: number, attempt = 0): Promise<RedisServer> => {
      try {
        return await RedisServer.start({
          dataDir: join(options.dataDir, `node-${i}`),
          password,
          maxmemory: options.maxmemory ?? '256mb',
          cluster: { nodeTimeoutMs: options.nodeTimeoutMs ?? 2_000 },
          ...(options.binary === undefined ? {} : { binary: options.binary }),
        });
      } catch (error) {
        if (attempt >= 2) throw error;
        return startNode(i, attempt + 1);
      }
    };
    const started = await Promise.allSettled(Array.from({ length: primaries * (1 + replicas) }, (_, i) => startNode(i)));
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
      // a replica that has not synced cannot fail over (its data is too old): wait for every link
      await waitFor('every replica in sync with its primary', async () => (await cluster.replicaLinks()).every((up) => up), 30_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /**
   * The cluster kept under `dataDir` across restarts (`npm start` with URNA_REDIS_CLUSTER=embedded):
   * the first call creates it and writes `cluster.json` (ports, bus ports, password; owner-only);
   * later calls start the same nodes on the same ports with their AOFs and `nodes.conf`, and the
   * cluster re-forms by itself. A port taken since then stops the start with an error naming it.
   */
  static async open(options: RedisClusterOptions): Promise<RedisCluster> {
    const file = join(options.dataDir, 'cluster.json');
    if (!existsSync(file)) {
      // nodes of a first start that never finished would refuse to join a new cluster
      if (existsSync(options.dataDir))
        for (const entry of readdirSync(options.dataDir))
          if (entry.startsWith('node-')) rmSync(join(options.dataDir, entry), { recursive: true, force: true });
      const cluster = await RedisCluster.start(options);
      const saved: SavedCluster = {
        password: cluster.password,
        nodes: cluster.nodes.map((n) => ({ port: n.port, busPort: n.busPort ?? 0 })),
      };
      writeFileSync(file, `${JSON.stringify(saved)}\n`, { mode: 0o600 });
      return cluster;
    }
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedCluster;
    const started = await Promise.allSettled(
      saved.nodes.map((n, i) =>
        RedisServer.start({
          dataDir: join(options.dataDir, `node-${i}`),
          port: n.port,
          password: saved.password,
          maxmemory: options.maxmemory ?? '256mb',
          cluster: { nodeTimeoutMs: options.nodeTimeoutMs ?? 2_000, busPort: n.busPort },
          ...(options.binary === undefined ? {} : { binary: options.binary }),
        }),
      ),
    );
    const cluster = new RedisCluster(
      started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
      saved.password,
    );
    try {
      const failed = started.find((r) => r.status === 'rejected');
      if (failed !== undefined)
        throw new Error(
          `the embedded Redis Cluster in ${options.dataDir} could not restart on its ports (${saved.nodes.map((n) => n.port).join(', ')})`,
          {
            cause: failed.reason,
          },
        );
      await waitFor('Redis Cluster state ok on every node', async () => (await cluster.states()).every((s) => s === 'ok'), 60_000);
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

  /** Per node: a primary, or a replica whose link to its primary is up (true); false otherwise. */
  async replicaLinks(): Promise<boolean[]> {
    return Promise.all(
      this.nodes.map(async (n) => {
        const reply = await ask(n.port, `AUTH ${this.password}\r\nINFO replication\r\n`, /role:master|master_link_status:(\w+)/);
        return reply !== undefined && (reply[0] === 'role:master' || reply[1] === 'up');
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

interface SavedCluster {
  readonly password: string;
  readonly nodes: ReadonlyArray<{ readonly port: number; readonly busPort: number }>;
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
