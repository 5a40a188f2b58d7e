// Append throughput of the two VoteLog adapters on this machine, same workload: concurrent
// appenders handing batches to `append` as ingest's micro-batcher does. Redis Streams runs on a
// real redis-server with AOF fsync always; Kafka on librdkafka's IN-MEMORY mock cluster (kcat):
// no disk, no replication traffic, so its figure is an upper bound for the client side only,
// not a Redpanda/Kafka number. Usage: node --import tsx scripts/load/log-append.ts [--votes 40000]
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMockTopic, KafkaMockCluster, RedisServer } from '@urna/embedded';
import { RedisStreamsLog, type VoteLog } from '@urna/log';
import { KafkaLog } from '@urna/log/kafka';
import type { Vote } from '@urna/domain';
import { cpuSeconds, fmt, percentile } from './measure.ts';

const { values } = parseArgs({ options: { votes: { type: 'string', default: '40000' } } });
const VOTES = Number(values.votes);
const PARTITIONS = 4; // the mock auto-creates 4-partition topics; Redis uses the same count
const SHAPES = [{ appenders: 1, batch: 1 }, { appenders: 16, batch: 50 }, { appenders: 64, batch: 100 }];

const dir = mkdtempSync(join(tmpdir(), 'urna-log-bench-'));
const redisServer = await RedisServer.start({ dataDir: join(dir, 'redis') });
const kafka = await KafkaMockCluster.start();
const redis = new Redis(redisServer.url);

interface Row { adapter: string; appenders: number; batch: number; votesPerSecond: number; p50Ms: number; p99Ms: number; clientCpuPerKVotes: number; serverCpuPerKVotes: number }
const rows: Row[] = [];

async function measure(adapter: string, log: VoteLog, serverPid: number, shape: { appenders: number; batch: number }): Promise<void> {
  const total = shape.batch === 1 ? Math.min(VOTES, 2_000) : VOTES;
  let next = 0;
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const server0 = cpuSeconds(serverPid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: shape.appenders }, async () => {
    while (next < total) {
      const n = Math.min(shape.batch, total - next);
      next += n;
      const votes = Array.from({ length: n }, (): Vote => ({ voteId: randomUUID(), electionId: 'bench', userId: `u-${randomUUID().slice(0, 12)}`, optionId: 'a', acceptedAt: Date.now() }));
      const start = performance.now();
      await log.append(votes);
      latencies.push(performance.now() - start);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  rows.push({
    adapter, ...shape, votesPerSecond: Math.round(total / seconds),
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
    clientCpuPerKVotes: ((cpu.user + cpu.system) / 1e3 / total) * 1000, // µs → ms, per 1,000 votes
    serverCpuPerKVotes: ((cpuSeconds(serverPid) - server0) * 1e3 / total) * 1000,
  });
}

for (const shape of SHAPES) {
  const redisLog = new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: PARTITIONS, prefix: `bench:${randomUUID()}` });
  await measure('redis-streams (AOF fsync always)', redisLog, redisServer.pid as number, shape);
  const topic = `bench.${randomUUID()}`;
  await createMockTopic(kafka.bootstrapServers, topic);
  const kafkaLog = await KafkaLog.connect({ brokers: kafka.brokers, clientId: 'urna-bench', topic, partitions: PARTITIONS });
  await measure('kafka (librdkafka mock, in-memory)', kafkaLog, kafka.pid as number, shape);
  await kafkaLog.close();
}

console.log(`\nVoteLog.append, ${PARTITIONS} partitions, ${VOTES} votes per run (2,000 for single-vote appends); load generator in this process`);
console.log('adapter                              appenders batch   votes/s   p50 ms   p99 ms  client CPU-ms/1k  server CPU-ms/1k');
for (const r of rows) {
  console.log(`${r.adapter.padEnd(36)} ${String(r.appenders).padStart(9)} ${String(r.batch).padStart(5)} ${r.votesPerSecond.toLocaleString('en').padStart(9)} ${fmt(r.p50Ms).padStart(8)} ${fmt(r.p99Ms).padStart(8)} ${fmt(r.clientCpuPerKVotes).padStart(17)} ${fmt(r.serverCpuPerKVotes).padStart(17)}`);
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
