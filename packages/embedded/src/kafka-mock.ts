import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

export interface KafkaMockOptions {
  readonly brokers?: number;
  readonly binary?: string;
}

/**
 * librdkafka's in-memory mock cluster, hosted by a `kcat` process (Debian package kcat). It
 * speaks the Kafka protocol well enough for producers, consumer groups and offset commits,
 * but it is NOT a broker: nothing is on disk, CreateTopics is not served (topics are
 * auto-created with 4 partitions on first use), each partition keeps only ~5 MB and silently
 * drops older messages, and aborted transactions are not filtered. Tests stay well below that.
 */
export class KafkaMockCluster {
  private constructor(
    readonly bootstrapServers: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: KafkaMockOptions = {}): Promise<KafkaMockCluster> {
    // kcat needs a topic to consume; its consumer only keeps the mock cluster alive.
    const args = ['-X', `test.mock.num.brokers=${options.brokers ?? 3}`, '-b', 'mock', '-C', '-t', '__urna_keepalive', '-o', 'end', '-q'];
    const child = spawn(options.binary ?? 'kcat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const servers = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`kcat mock cluster did not start: ${stderr.slice(-500)}`)), 10_000);
      child.once('error', (error) => reject(new Error(`cannot run kcat (apt-get install -y kcat): ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`kcat exited (${code}): ${stderr.slice(-500)}`)));
      child.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 20_000) stderr += chunk.toString('utf8');
        // without `-d mock`, librdkafka still logs the addresses it swapped in (NOTICE level)
        const match = /(?:bootstrap\.servers=|replaced with )(\S+)/.exec(stderr);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    child.stderr?.removeAllListeners('data');
    child.stderr?.resume(); // keep draining so kcat never blocks on a full pipe
    child.removeAllListeners('exit');
    return new KafkaMockCluster(servers, child);
  }

  /** See {@link createMockTopic}. */
  createTopic(topic: string): Promise<void> {
    return createMockTopic(this.bootstrapServers, topic);
  }

  get brokers(): string[] {
    return this.bootstrapServers.split(',');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  }
}

/**
 * Makes the mock create `topic` (4 partitions, 3 replicas) by asking for its metadata: the mock
 * does not serve CreateTopics, but auto-creates a topic on a metadata request. A real cluster
 * needs an explicit admin step instead (rpk topic create; see docker-compose.redpanda.yml).
 */
export async function createMockTopic(bootstrapServers: string, topic: string, binary = 'kcat'): Promise<void> {
  const { stdout } = await promisify(execFile)(binary, ['-b', bootstrapServers, '-L', '-t', topic, '-m', '10'], { timeout: 15_000 });
  if (!stdout.includes(`topic "${topic}" with`)) throw new Error(`the mock did not create topic ${topic}: ${stdout}`);
}
