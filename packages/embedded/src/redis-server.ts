import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort, probe, waitFor } from './ports.ts';

export interface RedisServerOptions {
  /** Directory for the AOF; created if missing. */
  readonly dataDir: string;
  readonly port?: number;
  readonly binary?: string;
}

/**
 * A redis-server child process configured for durability: `appendonly yes` and
 * `appendfsync always`, so a reply to a write is only sent after the AOF was fsynced and an
 * acknowledged vote survives `kill -9` of Redis. RDB snapshots are off (the AOF is the data).
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'no',
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
      '--maxmemory-policy',
      'noeviction',
    ];
    const child = spawn(this.options.binary ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) ${stderr}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(`redis-server on ${this.port}`, async () => (await probe(this.port, 'PING\r\n'))?.startsWith('+PONG') ?? false, 20_000),
      exited,
    ]);
  }

  /** Simulates a crash: SIGKILL, no shutdown save. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
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
