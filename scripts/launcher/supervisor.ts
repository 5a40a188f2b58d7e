import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { backoffDelay } from '@urna/domain';
import { EXIT_CONFIG } from '@urna/service-kit';

export interface ServiceSpec {
  readonly name: string;
  /** Entry file, run as `node --import tsx <entry>`. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where the service answers GET /healthz. */
  readonly healthUrl: string;
  /** Extra `node` flags (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept). */
  readonly nodeArgs?: readonly string[];
  /** Runs this executable and arguments instead of `node <entry>` (nginx, the edge). */
  readonly command?: readonly string[];
  /** Runs the process under `nice -n <nice>` (every thread it starts inherits it); absent or 0: as is. */
  readonly nice?: number;
}

export type LogSink = { kind: 'console' } | { kind: 'file'; path: string };

/**
 * Runs one service as its own process and restarts it when it dies, with back-off (like
 * systemd or a Kubernetes restart policy would). `stop()` ends it for good.
 */
export class SupervisedService {
  private child: ChildProcess | undefined;
  private stopped = false;
  private restarts = 0;
  private startedAt = 0;
  /** Set when the service exited because its configuration cannot run: it is not restarted. */
  private configError: string | undefined;
  private readonly lastLines: string[] = [];
  private readonly file: WriteStream | undefined;

  constructor(
    readonly spec: ServiceSpec,
    private readonly cwd: string,
    private readonly sink: LogSink,
  ) {
    this.file = sink.kind === 'file' ? createWriteStream(sink.path, { flags: 'a' }) : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  start(): void {
    this.stopped = false;
    this.startedAt = Date.now();
    const argv = this.spec.command ?? [process.execPath, ...(this.spec.nodeArgs ?? []), '--import', 'tsx', this.spec.entry];
    const [file, ...args] = (this.spec.nice ?? 0) > 0 ? ['nice', '-n', String(this.spec.nice), ...argv] : argv;
    const child = spawn(file as string, args, {
      cwd: this.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => this.write(line));
    }
    child.once('exit', (code, signal) => {
      if (this.stopped) return;
      if (code === EXIT_CONFIG) {
        // a bad setting does not heal by restarting: stop here and say which key
        const from = this.lastLines.findLastIndex((line) => line.includes('invalid configuration'));
        this.configError = this.lastLines
          .slice(Math.max(0, from))
          .filter((line) => line.trim() !== '')
          .join('\n');
        this.write('exited: invalid configuration (not restarted)');
        return;
      }
      this.write(`exited (${signal ?? code}); restarting`);
      this.restarts++;
      const uptime = Date.now() - this.startedAt;
      const delay = uptime > 10_000 ? 100 : backoffDelay(this.restarts, { baseMs: 100, maxMs: 5_000 });
      setTimeout(() => {
        if (!this.stopped) this.start();
      }, delay).unref();
    });
  }

  /** SIGKILL, as a crash: the supervisor restarts it. */
  kill9(): void {
    this.child?.kill('SIGKILL');
  }

  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.configError !== undefined) throw new Error(`${this.spec.name}: ${this.configError}`);
      try {
        const response = await fetch(this.spec.healthUrl, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.spec.name} not healthy at ${this.spec.healthUrl} after ${timeoutMs} ms`);
  }

  /** Stops it like `stop()` but keeps its log open, so `start()` can run it again (a planned outage). */
  async pause(): Promise<void> {
    await this.terminate();
  }

  async stop(): Promise<void> {
    await this.terminate();
    this.file?.end();
  }

  private async terminate(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
  }

  private write(line: string): void {
    this.lastLines.push(line);
    if (this.lastLines.length > 20) this.lastLines.shift();
    const text = `[${this.spec.name}] ${line}`;
    if (this.file !== undefined) this.file.write(`${text}\n`);
    else console.log(text);
  }
}
