// First load measurement of the embedded stack: starts it exactly like `npm start` (own
// redis-server, DynamoDB Local in file mode, every service its own process) on free ports,
// then measures (1) accepted votes/s and latency under a closed loop, (2) how long each
// projection takes to drain that burst, (3) end-to-end latency 202 → SSE at a steady rate.
// Loopback only; bounded in count and time. Usage: npm run bench:smoke [-- --votes 20000 --concurrency 64 --rate 500]
// `--log kafka` runs the stack on the Kafka log over three local Apache Kafka brokers (KRaft, RF 3, 4 partitions).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { Redis } from 'ioredis';
import { mintVotingToken } from '@urna/auth';
import { KafkaCluster } from '@urna/embedded/kafka';
import { RedisStreamsLog, type VoteLog } from '@urna/log';
import { KafkaLog } from '@urna/log/kafka';
import { GROUPS } from '@urna/tally-worker';
import { REPO_ROOT, startStack } from '../launcher/stack.ts';
import { BENCH_LIMITS, describeLimits } from './bench/limits.ts';
import { cpuSeconds, fmt, percentile } from './measure.ts';
import { endToEnd } from './bench/end-to-end.ts';

const { values: args } = parseArgs({
  options: {
    votes: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '5' },
    log: { type: 'string', default: 'redis' },
  },
});
const VOTES = Number(args.votes);
const CONCURRENCY = Number(args.concurrency);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);

const LOG = args.log === 'kafka' ? 'kafka' : 'redis';

const dataDir = mkdtempSync(join(tmpdir(), 'urna-bench-'));
const kafka = LOG === 'kafka' ? await KafkaCluster.start({ dataDir: join(dataDir, 'kafka'), nodes: 3, quickJit: false }) : undefined;
const topic = 'bench.votes';
if (kafka !== undefined) await kafka.createTopic(topic, 4);
const logEnv: Record<string, string> =
  kafka === undefined
    ? {}
    : { URNA_LOG: 'kafka', URNA_KAFKA_BROKERS: kafka.bootstrapServers, URNA_KAFKA_TOPIC: topic, URNA_LOG_PARTITIONS: '4' };
console.log(`smoke: ${describeLimits()}`);
const stack = await startStack({ dataDir, ports: 'free', logs: 'files', dynamoOnDisk: true, env: { ...BENCH_LIMITS, ...logEnv } });
const secret = Buffer.from(stack.env.URNA_VOTING_TOKEN_SECRET as string, 'base64url');
const pool = new Pool(stack.urls.gateway, { connections: CONCURRENCY, pipelining: 1 });
const redis = new Redis(stack.urls.redis);

async function call(method: 'GET' | 'POST', path: string, token?: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await pool.request({
    method,
    path,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: text === '' ? undefined : JSON.parse(text) };
}

async function election(id: string): Promise<void> {
  const admin = ((await call('POST', '/v1/dev/token', undefined, { userId: 'bench-admin', role: 'admin' })).json as { token: string })
    .token;
  await call('POST', '/v1/elections', admin, {
    id,
    title: id,
    options: [
      { id: 'a', label: 'A' },
      { id: 'b', label: 'B' },
      { id: 'c', label: 'C' },
    ],
  });
  await call('POST', `/v1/elections/${id}/open`, admin);
}

const vote = (electionId: string, userId: string, i: number) =>
  call('POST', `/v1/elections/${electionId}/votes`, mintVotingToken({ userId, role: 'voter' }, secret, 600), {
    optionId: ['a', 'b', 'c'][i % 3],
  });

// 1. burst: closed loop
await election('burst');
const ingestPid = stack.services.get('ingest')?.pid as number;
const cpuBefore = cpuSeconds(ingestPid);
const latencies: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < VOTES) {
      const i = next++;
      const start = performance.now();
      const { status } = await vote('burst', `user-${i}`, i);
      latencies.push(performance.now() - start);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }),
);
const burstSeconds = (performance.now() - t0) / 1000;
const ingestCpu = cpuSeconds(ingestPid) - cpuBefore;
const accepted = statuses.get(202) ?? 0;

// 2. drain of the burst by each projection
const log: VoteLog =
  kafka === undefined
    ? new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: 16 })
    : await KafkaLog.connect({ brokers: kafka.brokers, clientId: 'urna-bench', topic, partitions: 4 });
const drainSeconds: Record<string, number> = {};
await Promise.all(
  Object.values(GROUPS).map(async (group) => {
    for (;;) {
      const b = await log.backlog(group);
      if (b.undelivered + b.pending === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    drainSeconds[group] = (performance.now() - t0) / 1000;
  }),
);

// 3. steady rate: end-to-end 202 → first SSE snapshot whose total includes the vote
await election('steady');
const steady = await endToEnd(stack.urls.gateway, 'steady', RATE, SECONDS, (userId) =>
  mintVotingToken({ userId, role: 'voter' }, secret, 600),
);

const result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  command: `npm run bench -- --votes ${VOTES} --concurrency ${CONCURRENCY} --rate ${RATE} --seconds ${SECONDS} --log ${LOG}`,
  log: LOG === 'kafka' ? 'kafka (3 local KRaft brokers, RF 3)' : 'redis streams (AOF fsync always)',
  burst: {
    votes: VOTES,
    concurrency: CONCURRENCY,
    seconds: burstSeconds,
    acceptedPerSecond: accepted / burstSeconds,
    statuses: Object.fromEntries(statuses),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
    },
    ingestCpuSeconds: ingestCpu,
    acceptedPerIngestCpuSecond: accepted / ingestCpu,
  },
  drainSecondsFromBurstStart: drainSeconds,
  steady: { rate: RATE, seconds: SECONDS, statuses: steady.statuses, e2eMs: { p50: steady.p50, p99: steady.p99, samples: steady.samples } },
};

console.log(`
urna smoke benchmark — ${result.machine} — log: ${result.log}
burst   ${VOTES} votes, ${CONCURRENCY} in flight: ${fmt(result.burst.acceptedPerSecond, 0)} accepted votes/s over ${fmt(burstSeconds, 2)} s; statuses ${JSON.stringify(result.burst.statuses)}
        latency ms p50 ${fmt(result.burst.latencyMs.p50)} p95 ${fmt(result.burst.latencyMs.p95)} p99 ${fmt(result.burst.latencyMs.p99)} max ${fmt(result.burst.latencyMs.max)}
        ingest process: ${fmt(ingestCpu, 2)} CPU-s → ${fmt(result.burst.acceptedPerIngestCpuSecond, 0)} accepted votes per ingest CPU-second
drain   live tally done ${fmt(drainSeconds[GROUPS.live] ?? NaN, 2)} s, vote store (DynamoDB Local, file) done ${fmt(drainSeconds[GROUPS.store] ?? NaN, 2)} s after the burst started
steady  ${RATE} votes/s for ${SECONDS} s: e2e 202 → SSE ms p50 ${fmt(result.steady.e2eMs.p50)} p99 ${fmt(result.steady.e2eMs.p99)} (${steady.samples} samples); statuses ${JSON.stringify(result.steady.statuses)}
`);
const outDir = join(REPO_ROOT, '.urna', 'bench');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `smoke-${result.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
await pool.close();
await log.close();
redis.disconnect();
await stack.stop();
await kafka?.stop();
rmSync(dataDir, { recursive: true, force: true });
