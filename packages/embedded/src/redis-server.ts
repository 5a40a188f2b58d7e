import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, probe, waitFor } from './ports.ts';

export interface RedisServerOptions {
  /** Directory for the AOF; created if missing. */
  readonly dataDir: string;
  readonly port?: number;
  readonly binary?: string;
  /** `requirepass`; a random one when omitted. Clients get it through `url`. URL-safe characters only. */
  readonly password?: string;
  /**
   * `maxmemory` (redis units: `512mb`, `2gb`). With `noeviction`, a write beyond it fails
   * (ingest answers 503) instead of Redis evicting votes, markers or jobs.
   * @defaultValue '1gb'
   */
  readonly maxmemory?: string;
  /**
   * A Redis Cluster node (`cluster-enabled yes`, `masterauth` = the password, so a replica
   * authenticates to its primary). Node timeout in ms: a primary silent this long fails over.
   */
  readonly cluster?: { readonly nodeTimeoutMs: number; readonly busPort?: number };
}

/**
 * A redis-server child process configured for durability: `appendonly yes` and
 * `appendfsync always`, so a reply to a write is only sent after the AOF was fsynced and an
 * acknowledged vote survives `kill -9` of Redis. RDB snapshots are off (the AOF is the data).
 * Locked down: loopback only, `protected-mode yes`, a password, `maxmemory` with `noeviction`.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private stopping = false;
  private crashListener: ((detail: string) => void) | undefined;
  readonly password: string;
  /** A cluster node's bus port (its own free port, not Redis' default of port + 10000, which nobody checked). */
  busPort: number | undefined;
  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.password = options.password ?? randomBytes(18).toString('base64url');
    if (!/^[A-Za-z0-9._~-]{16,}$/.test(this.password)) throw new RangeError('redis password: at least 16 URL-safe characters');
  }

  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    if (options.cluster !== undefined) server.busPort = options.cluster.busPort ?? (await freePort());
    await server.launch();
    return server;
  }

  /** The URL every client uses: it carries the password (ioredis and BullMQ read it from there). */
  get url(): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    // the password goes in a file only the owner reads, not on the command line (`ps` shows that to every user)
    const secretConf = join(this.options.dataDir, 'urna-secret.conf');
    const secrets = [`requirepass ${this.password}`, ...(this.options.cluster === undefined ? [] : [`masterauth ${this.password}`])];
    writeFileSync(secretConf, `${secrets.join('\n')}\n`, { mode: 0o600 });
    const args = [
      secretConf,
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--dir',
      this.options.dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--maxclients',
      '20000',
      // BullMQ (recount/) keeps jobs as keys: they must never be evicted
      '--maxmemory',
      this.options.maxmemory ?? '1gb',
      '--maxmemory-policy',
      'noeviction',
      ...(this.options.cluster === undefined
        ? []
        : [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(this.options.cluster.nodeTimeoutMs),
            '--cluster-port',
            String(this.busPort),
            // a replica syncs at once (7.0 waits 5 s for more replicas): until it has, it cannot take over
            '--repl-diskless-sync-delay',
            '0',
          ]),
    ];
    const child = spawn(this.options.binary ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping && this.child === child) this.crashListener?.(String(signal ?? code));
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) ${stderr}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(
        `redis-server on ${this.port}`,
        async () => (await probe(this.port, `AUTH ${this.password}\r\nPING\r\n`))?.startsWith('+OK') ?? false,
        20_000,
      ),
      exited,
    ]);
  }

  /**
   * Calls `listener` whenever the server exits without `stop()` — a crash, or `kill9()` — so a
   * supervisor (the launcher, under npm start) can restart it; tests that restart it themselves
   * do not register one.
   */
  onCrash(listener: (detail: string) => void): void {
    this.crashListener = listener;
  }

  /** Simulates a crash: SIGKILL, no shutdown save. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }
}
