import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbLocal, freePort, RedisServer } from '@urna/embedded';
import type { KafkaCluster } from '@urna/embedded/kafka';
import { startStack, type Stack } from '../launcher/stack.ts';

export type LogKind = 'redis' | 'kafka';

/** One process (or group of processes) the nemesis can hit. */
export interface FaultTarget {
  readonly name: string;
  /** Current top pid (its children are hit with it: nginx's workers, a JVM's threads are one pid). */
  pids(): number[];
  /** SIGKILL, then whatever brings it back (a supervisor, or an explicit restart). */
  kill(): Promise<void>;
  /** Brings a killed process back; supervised services come back on their own. */
  heal(): Promise<void>;
}

export interface ChaosCluster {
  readonly stack: Stack;
  readonly log: LogKind;
  readonly env: Readonly<Record<string, string>>;
  readonly targets: readonly FaultTarget[];
  stop(): Promise<void>;
}

/** The pids of `pid` and all its descendants, read from /proc (children first is not needed for SIGKILL/SIGSTOP). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export function signalTree(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts the whole stack as `npm start` does, on free loopback ports, with its own redis-server,
 * DynamoDB Local (file mode, so a SIGKILL keeps what it acknowledged) and, for `kafka`, three
 * Apache Kafka brokers (KRaft, RF 3, min ISR 2). Everything lives under `dataDir`.
 */
export async function startChaosCluster(options: {
  dataDir: string;
  log: LogKind;
  partitions: number;
  env?: Readonly<Record<string, string>>;
}): Promise<ChaosCluster> {
  const redisDir = join(options.dataDir, 'redis');
  const dynamoDir = join(options.dataDir, 'dynamodb');
  const redis = await RedisServer.start({ dataDir: redisDir, port: await freePort() });
  const dynamoPort = await freePort();
  let dynamo: DynamoDbLocal | undefined;
  let kafka: KafkaCluster | undefined;
  const topic = 'chaos.votes';
  const logEnv: Record<string, string> = {};
  try {
    dynamo = await startDynamo(dynamoPort, dynamoDir);
    if (options.log === 'kafka') {
      const { KafkaCluster } = await import('@urna/embedded/kafka');
      kafka = await KafkaCluster.start({ dataDir: join(options.dataDir, 'kafka'), nodes: 3 });
      await kafka.createTopic(topic, options.partitions);
      Object.assign(logEnv, {
        URNA_LOG: 'kafka',
        URNA_KAFKA_BROKERS: kafka.bootstrapServers,
        URNA_KAFKA_TOPIC: topic,
        URNA_KAFKA_SESSION_TIMEOUT_MS: '6000',
      });
    }
  } catch (error) {
    // nothing of a failed start stays behind
    await Promise.all([redis.stop(), dynamo?.stop(), kafka?.stop()]);
    throw error;
  }
  let dynamoNow: DynamoDbLocal = dynamo as DynamoDbLocal;
  const env: Record<string, string> = {
    URNA_LOG_PARTITIONS: String(options.partitions),
    // the load generator is one address standing in for a crowd: per-address limits are raised
    URNA_EDGE_REQ_PER_SEC: '1000000',
    URNA_EDGE_REQ_BURST: '1000000',
    URNA_EDGE_CONN_PER_IP: '60000',
    URNA_EDGE_SSE_PER_IP: '60000',
    URNA_RL_IP_FAILURES: '1000000',
    URNA_RL_USER_VOTES: '1000',
    URNA_CHALLENGE_DEFAULT: 'off',
    // a crashed worker's records are taken over quickly, and a recount is retried soon
    URNA_WORKER_CLAIM_IDLE_MS: '3000',
    URNA_RECOUNT_LOCK_MS: '5000',
    ...logEnv,
    ...options.env,
  };
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir: options.dataDir,
      ports: 'free',
      logs: 'files',
      redisUrl: redis.url,
      dynamoEndpoint: dynamoNow.endpoint,
      env,
    });
  } catch (error) {
    await Promise.all([redis.stop(), dynamoNow.stop(), kafka?.stop()]);
    throw error;
  }

  const targets: FaultTarget[] = [];
  for (const [name, service] of stack.services) {
    targets.push({
      name,
      pids: () => (service.pid === undefined ? [] : processTree(service.pid)),
      // the supervisor restarts it; nginx's workers would keep the port, so the whole tree goes
      kill: async () => signalTree(service.pid === undefined ? [] : processTree(service.pid), 'SIGKILL'),
      heal: async () => undefined,
    });
  }
  let redisDown = false;
  targets.push({
    name: 'redis',
    pids: () => (redisDown || redis.pid === undefined ? [] : [redis.pid]),
    kill: async () => {
      redisDown = true;
      await redis.kill9();
    },
    heal: async () => {
      if (!redisDown) return;
      await redis.restart();
      redisDown = false;
    },
  });
  let dynamoDown = false;
  targets.push({
    name: 'dynamodb',
    pids: () => (dynamoDown || dynamoNow.pid === undefined ? [] : [dynamoNow.pid]),
    kill: async () => {
      dynamoDown = true;
      const pid = dynamoNow.pid;
      if (pid !== undefined) signalTree([pid], 'SIGKILL');
      await waitGone(pid);
    },
    heal: async () => {
      if (!dynamoDown) return;
      dynamoNow = await startDynamo(dynamoPort, dynamoDir);
      dynamoDown = false;
    },
  });
  if (kafka !== undefined) {
    const cluster = kafka;
    for (const node of cluster.nodes) {
      let down = false;
      targets.push({
        name: `kafka-${node.id}`,
        pids: () => (down || node.pid === undefined ? [] : [node.pid]),
        kill: async () => {
          down = true;
          await cluster.kill9(node.id);
        },
        heal: async () => {
          if (!down) return;
          await cluster.restart(node.id);
          down = false;
        },
      });
    }
  }
  return {
    stack,
    log: options.log,
    env: { ...stack.env, ...(kafka === undefined ? {} : { URNA_KAFKA_TOPIC: topic }) },
    targets,
    stop: async () => {
      for (const target of targets) signalTree(target.pids(), 'SIGCONT');
      await stack.stop();
      await Promise.all([redis.stop(), dynamoNow.stop(), kafka?.stop()]);
    },
  };
}

/** DynamoDB Local (a JVM) can take over a minute to start on a loaded machine: a slow start is killed and retried. */
async function startDynamo(port: number, dataDir: string): Promise<DynamoDbLocal> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await DynamoDbLocal.start({ port, dataDir });
    } catch (error) {
      const stale = processTree(process.pid).filter((pid) => pid !== process.pid && isDynamoOf(pid, dataDir));
      signalTree(stale, 'SIGKILL');
      await Promise.all(stale.map((pid) => waitGone(pid)));
      if (attempt === 3) throw error;
    }
  }
}

function isDynamoOf(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
  } catch {
    return false;
  }
}

async function waitGone(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
