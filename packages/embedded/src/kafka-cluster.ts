import { randomBytes } from 'node:crypto';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaClasspath } from './kafka-dist.ts';
import { freePort, waitFor } from './ports.ts';
import { brokerMetadata, createKafkaTopic, topicLeaders } from './kafka-metadata.ts';

export interface KafkaClusterOptions {
  /** Brokers, each also a KRaft controller (combined mode); all of them vote. Default 3. */
  readonly nodes?: number;
  /** Each node's config, data and log live under `<dataDir>/node-<id>`; formatted once, reused after. */
  readonly dataDir: string;
  /** Broker settings added to or replacing the defaults below. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** JVM heap per node, MB. Default 384: enough for test loads, small on a shared machine. */
  readonly heapMb?: number;
  readonly distDir?: string;
  /**
   * Compile with C1 only (-XX:TieredStopAtLevel=1): a node starts in about half the time on a
   * busy 2-core machine, at some cost in peak throughput. Default true; benchmarks turn it off.
   */
  readonly quickJit?: boolean;
  /** How long start() and restart() wait for the brokers. Default 120 s. */
  readonly startTimeoutMs?: number;
}

export interface KafkaNode {
  readonly id: number;
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly pid: number | undefined;
}

/**
 * The production durability settings urna expects of a cluster: every partition on three
 * replicas (fewer if the cluster is smaller), a write acknowledged (acks=all) only once two
 * have it, no unclean leader election (a replica that missed acknowledged writes never becomes
 * leader), and no topic created by accident. The failure detection is tightened for a cluster
 * on one machine: a dead broker is fenced after 4 s instead of 9 s.
 */
function defaultSettings(nodes: number): Record<string, string | number | boolean> {
  const replicas = Math.min(3, nodes);
  const minIsr = Math.min(2, nodes);
  return {
    'default.replication.factor': replicas,
    'min.insync.replicas': minIsr,
    'unclean.leader.election.enable': false,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 8,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minIsr,
    'group.initial.rebalance.delay.ms': 0,
    'broker.session.timeout.ms': 4_000,
    'broker.heartbeat.interval.ms': 500,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.replica.fetchers': 1,
    'background.threads': 2,
    'log.cleaner.threads': 1,
  };
}

/** Warnings and errors to stdout, which goes to the node's broker.log. */
const LOG4J_CONFIG = [
  'status = warn',
  'appender.out.type = Console',
  'appender.out.name = out',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = warn',
  'rootLogger.appenderRef.out.ref = out',
  '',
].join('\n');

class Node implements KafkaNode {
  child: ChildProcess | undefined;
  constructor(
    readonly id: number,
    readonly brokerPort: number,
    readonly controllerPort: number,
    readonly dir: string,
  ) {}
  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

/**
 * Apache Kafka 4.x in KRaft mode (no ZooKeeper) as child JVMs on loopback, from the jars the pom
 * fetched (see kafka-dist.ts). Topics are created through the admin API (CreateTopics), as a
 * deployment would. Any node can be SIGKILLed, paused (SIGSTOP) and restarted with its data.
 */
export class KafkaCluster {
  private constructor(
    private readonly nodeList: Node[],
    private readonly options: KafkaClusterOptions,
  ) {}

  static async start(options: KafkaClusterOptions): Promise<KafkaCluster> {
    const count = options.nodes ?? 3;
    const nodes: Node[] = [];
    for (let id = 1; id <= count; id++) nodes.push(new Node(id, await freePort(), await freePort(), join(options.dataDir, `node-${id}`)));
    const cluster = new KafkaCluster(nodes, options);
    const clusterId = cluster.clusterId();
    await Promise.all(
      nodes.map(async (node) => {
        cluster.writeConfig(node);
        killStale(node);
        if (!existsSync(join(node.dir, 'data', 'meta.properties'))) await cluster.format(node, clusterId);
      }),
    );
    for (const node of nodes) cluster.launch(node);
    try {
      await cluster.waitForBrokers(count);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get bootstrapServers(): string {
    return this.brokers.join(',');
  }

  get brokers(): string[] {
    return this.nodeList.map((n) => `127.0.0.1:${n.brokerPort}`);
  }

  get nodes(): readonly KafkaNode[] {
    return this.nodeList;
  }

  /** See {@link createKafkaTopic}. */
  createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>> = {}): Promise<void> {
    return createKafkaTopic(this.bootstrapServers, topic, partitions, config);
  }

  /** The node id leading each partition of `topic` (-1: none), by partition. */
  leaders(topic: string): Promise<number[]> {
    return topicLeaders(this.bootstrapServers, topic);
  }

  /** Simulates a crash of one node (broker and controller): SIGKILL, no controlled shutdown. */
  async kill9(id: number): Promise<void> {
    await signalAndWait(this.node(id), 'SIGKILL');
  }

  /** Freezes one node (a GC pause, a stalled VM): it keeps its sockets but answers nothing. */
  pause(id: number): void {
    this.node(id).child?.kill('SIGSTOP');
  }

  resume(id: number): void {
    this.node(id).child?.kill('SIGCONT');
  }

  /** Starts a stopped or killed node again on its ports and data; resolves once it serves. */
  async restart(id: number): Promise<void> {
    const node = this.node(id);
    if (node.alive) throw new Error(`kafka node ${id} is running`);
    this.launch(node);
    await this.waitForBrokers(this.nodeList.filter((n) => n.alive).length);
  }

  /** Resolves once the cluster's metadata lists `count` live brokers. */
  async waitForBrokers(count: number, timeoutMs = this.options.startTimeoutMs ?? 120_000): Promise<void> {
    const live = this.nodeList.filter((n) => n.alive).map((n) => `127.0.0.1:${n.brokerPort}`);
    await waitFor(
      `${count} Kafka brokers`,
      async () => {
        this.throwIfAllDead();
        const ids = await brokerMetadata(live, 2_000).catch(() => []);
        return ids.length >= count;
      },
      timeoutMs,
    );
  }

  /** Stops every node (SIGTERM, then SIGKILL after 15 s) by its pid. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodeList.map(async (node) => {
        if (!node.alive) return;
        node.child?.kill('SIGCONT');
        const killer = setTimeout(() => node.child?.kill('SIGKILL'), 15_000);
        await signalAndWait(node, 'SIGTERM');
        clearTimeout(killer);
      }),
    );
  }

  private node(id: number): Node {
    const node = this.nodeList.find((n) => n.id === id);
    if (node === undefined) throw new RangeError(`no kafka node ${id}`);
    return node;
  }

  /** The cluster id of formatted storage, or a new one (a base64url UUID, as Kafka writes it). */
  private clusterId(): string {
    for (const node of this.nodeList) {
      const meta = join(node.dir, 'data', 'meta.properties');
      if (!existsSync(meta)) continue;
      const id = /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1];
      if (id !== undefined) return id.trim();
    }
    // like Kafka's Uuid.randomUuid(): never starting with '-', which the storage tool would read as an option
    for (;;) {
      const id = randomBytes(16).toString('base64url');
      if (!id.startsWith('-')) return id;
    }
  }

  private writeConfig(node: Node): void {
    mkdirSync(node.dir, { recursive: true });
    const voters = this.nodeList.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
    const settings: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': node.id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://127.0.0.1:${node.brokerPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.brokerPort}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': join(node.dir, 'data'),
      ...defaultSettings(this.nodeList.length),
      ...this.options.settings,
    };
    writeFileSync(
      join(node.dir, 'server.properties'),
      Object.entries(settings)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('\n') + '\n',
    );
    writeFileSync(join(node.dir, 'log4j2.properties'), LOG4J_CONFIG);
  }

  private java(main: string, args: string[], dir: string): { command: string; args: string[] } {
    const heap = this.options.heapMb ?? 384;
    return {
      command: 'java',
      args: [
        `-Xmx${heap}m`,
        '-Xms64m',
        '-XX:+UseSerialGC',
        '-XX:-UsePerfData',
        '-Djava.awt.headless=true',
        ...(this.options.quickJit === false ? [] : ['-XX:TieredStopAtLevel=1']),
        `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
        '-cp',
        kafkaClasspath(this.options.distDir),
        main,
        ...args,
      ],
    };
  }

  private async format(node: Node, clusterId: string): Promise<void> {
    const { command, args } = this.java(
      'kafka.tools.StorageTool',
      ['format', '-t', clusterId, '-c', join(node.dir, 'server.properties'), '--ignore-formatted'],
      node.dir,
    );
    await promisify(execFile)(command, args, { timeout: 60_000 }).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`formatting kafka node ${node.id} failed: ${error.message} ${error.stdout ?? ''} ${error.stderr ?? ''}`);
    });
  }

  private launch(node: Node): void {
    const { command, args } = this.java('kafka.Kafka', [join(node.dir, 'server.properties')], node.dir);
    const out = openSync(join(node.dir, 'broker.log'), 'a');
    node.child = spawn(command, args, { stdio: ['ignore', out, out] });
    closeSync(out);
    if (node.child.pid !== undefined) writeFileSync(join(node.dir, 'pid'), String(node.child.pid));
  }

  private throwIfAllDead(): void {
    if (this.nodeList.every((n) => !n.alive)) {
      const tail = this.nodeList.map((n) => readTail(join(n.dir, 'broker.log'))).join('\n');
      throw new Error(`every Kafka node exited:\n${tail}`);
    }
  }
}

function signalAndWait(node: Node, signal: NodeJS.Signals): Promise<void> {
  const child = node.child;
  if (child === undefined || !node.alive) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return gone;
}

/** A broker of an earlier run that was never stopped (its launcher was SIGKILLed) holds the data dir's lock. */
function killStale(node: Node): void {
  const pidFile = join(node.dir, 'pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('kafka.Kafka') && cmdline.includes(node.dir)) process.kill(pid, 'SIGKILL');
  } catch {
    // not running
  }
}

function readTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2_000);
  } catch {
    return '';
  }
}
