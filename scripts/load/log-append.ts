// Append throughput of the two VoteLog adapters on this machine, same workload: concurrent
// appenders handing batches to `append` as ingest's micro-batcher does. Redis Streams runs on a
// real redis-server with AOF fsync always; Kafka on three Apache Kafka brokers (KRaft, RF 3,
// min.insync.replicas 2, acks=all) started here, on the same machine as the load generator, so
// the figures are per-CPU comparisons, not a production cluster's throughput.
// Usage: node --import tsx scripts/load/log-append.ts [--votes 40000]
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisServer } from '@urna/embedded';
import { KafkaCluster } from '@urna/embedded/kafka';
import { RedisStreamsLog, type VoteLog } from '@urna/log';
import { KafkaLog } from '@urna/log/kafka';
import type { Vote } from '@urna/domain';
import { cpuSeconds, fmt, percentile } from './measure.ts';

const { values } = parseArgs({ options: { votes: { type: 'string', default: '40000' } } });
const VOTES = Number(values.votes);
const PARTITIONS = 4; // both logs, as in the earlier runs on librdkafka's mock
const SHAPES = [
  { appenders: 1, batch: 1 },
  { appenders: 16, batch: 50 },
  { appenders: 64, batch: 100 },
];

const dir = mkdtempSync(join(tmpdir(), 'urna-log-bench-'));
const redisServer = await RedisServer.start({ dataDir: join(dir, 'redis') });
const kafka = await KafkaCluster.start({ dataDir: join(dir, 'kafka'), nodes: 3, quickJit: false });
const kafkaPids = kafka.nodes.map((n) => n.pid as number);
const redis = new Redis(redisServer.url);

interface Row {
  adapter: string;
  appenders: number;
  batch: number;
  votesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  clientCpuPerKVotes: number;
  serverCpuPerKVotes: number;
}
const rows: Row[] = [];

async function measure(adapter: string, log: VoteLog, serverPids: number[], shape: { appenders: number; batch: number }): Promise<void> {
  const total = shape.batch === 1 ? Math.min(VOTES, 2_000) : VOTES;
  let next = 0;
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const serverCpu = () => serverPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const server0 = serverCpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: shape.appenders }, async () => {
      while (next < total) {
        const n = Math.min(shape.batch, total - next);
        next += n;
        const votes = Array.from({ length: n }, (): Vote => ({
          voteId: randomUUID(),
          electionId: 'bench',
          userId: `u-${randomUUID().slice(0, 12)}`,
          optionId: 'a',
          acceptedAt: Date.now(),
        }));
        const start = performance.now();
        await log.append(votes);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  rows.push({
    adapter,
    ...shape,
    votesPerSecond: Math.round(total / seconds),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    clientCpuPerKVotes: ((cpu.user + cpu.system) / 1e3 / total) * 1000, // µs → ms, per 1,000 votes
    serverCpuPerKVotes: (((serverCpu() - server0) * 1e3) / total) * 1000,
  });
}

for (const shape of SHAPES) {
  const redisLog = new RedisStreamsLog({
    redis,
    connect: () => redis.duplicate(),
    partitions: PARTITIONS,
    prefix: `bench:${randomUUID()}`,
  });
  await measure('redis-streams (AOF fsync always)', redisLog, [redisServer.pid as number], shape);
  const topic = `bench.${randomUUID()}`;
  await kafka.createTopic(topic, PARTITIONS);
  const kafkaLog = await KafkaLog.connect({ brokers: kafka.brokers, clientId: 'urna-bench', topic, partitions: PARTITIONS });
  await measure('kafka (3 KRaft brokers, RF 3)', kafkaLog, kafkaPids, shape);
  await kafkaLog.close();
}

console.log(
  `\nVoteLog.append, ${PARTITIONS} partitions, ${VOTES} votes per run (2,000 for single-vote appends); load generator in this process`,
);
console.log('adapter                              appenders batch   votes/s   p50 ms   p99 ms  client CPU-ms/1k  server CPU-ms/1k');
for (const r of rows) {
  console.log(
    `${r.adapter.padEnd(36)} ${String(r.appenders).padStart(9)} ${String(r.batch).padStart(5)} ${r.votesPerSecond.toLocaleString('en').padStart(9)} ${fmt(r.p50Ms).padStart(8)} ${fmt(r.p99Ms).padStart(8)} ${fmt(r.clientCpuPerKVotes).padStart(17)} ${fmt(r.serverCpuPerKVotes).padStart(17)}`,
  );
}
const outDir = join(import.meta.dirname, '../../.urna/bench');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `log-append-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ votes: VOTES, partitions: PARTITIONS, rows }, null, 2));
console.log(`\nJSON: ${file}`);

redis.disconnect();
await kafka.stop();
await redisServer.stop();
rmSync(dir, { recursive: true, force: true });
