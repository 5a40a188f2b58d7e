// `npm run bench`: per-stage figures of urna on this machine in one bounded run, printed as one
// table with the ceilings they are compared to, and written to .urna/bench/bench-<date>.json.
// Loopback only; the load generator shares the machine's cores, so compare per-CPU figures.
// Usage: npm run bench [-- --rates 2000,4000,6000 --seconds 5 --drain 50000 --sse 2000,10000,15000 --profile]
//        [--peer http://127.0.0.1:PORT --connections 100 --h2h-rate 3000 --h2h-seconds 10 --h2h-voters 100000]
//        [--peak-rate 3000 --peak-seconds 5] [--cluster-votes 100000]
//        [--only ceilings,ingest,e2e,drain,sse,h2h,cluster,peak]
// URNA_INGEST_PROCESSES=2 npm run bench -- --only ceilings,ingest: the ingest rows over two ingest processes
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { Pool } from 'undici';
import { Redis } from 'ioredis';
import { mintVotingToken } from '@urna/auth';
import { processName } from '../launcher/processes.ts';
import { REPO_ROOT, startStack } from '../launcher/stack.ts';
import { cpuSeconds, fmt } from './measure.ts';
import { openLoop, postVote, type OpenLoopResult } from './bench/open-loop.ts';
import { barePostCeiling, luaCeiling } from './bench/ceilings.ts';
import { drainWith, liveProjection, prefilledLog } from './bench/drain.ts';
import { formatStoreDrain, storeDrain, type StoreDrainRow } from './bench/store-drain.ts';
import { sseFanout, type FanoutResult } from './bench/sse-fanout.ts';
import { endToEnd } from './bench/end-to-end.ts';
import { formatHeadToHead, headToHead } from './bench/head-to-head-report.ts';
import { BENCH_LIMITS, describeLimits } from './bench/limits.ts';
import { clusterCost, formatClusterCost, type ClusterCost } from './bench/cluster.ts';
import { formatPeak, peakAbsorption, type PeakRow } from './bench/peak.ts';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '2000,4000,6000' },
    seconds: { type: 'string', default: '5' },
    e2e: { type: 'string', default: '2000' },
    drain: { type: 'string', default: '50000' },
    sse: { type: 'string', default: '2000,10000,15000' },
    profile: { type: 'boolean', default: false },
    peer: { type: 'string' },
    connections: { type: 'string', default: '100' },
    'h2h-rate': { type: 'string', default: '3000' },
    'h2h-seconds': { type: 'string', default: '10' },
    'h2h-voters': { type: 'string', default: '100000' },
    'cluster-votes': { type: 'string', default: '100000' },
    'peak-rate': { type: 'string', default: '3000' },
    'peak-seconds': { type: 'string', default: '5' },
    only: { type: 'string', default: 'ceilings,ingest,e2e,drain,sse,h2h,cluster,peak' },
  },
});
const SECTIONS = new Set(args.only.split(','));
const wants = (section: string) => SECTIONS.has(section);
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const SSE_CLIENTS = args.sse.split(',').map(Number);
const DRAIN = Number(args.drain);
const say = (m: string) => console.log(`bench: ${m}`);

const dataDir = mkdtempSync(join(tmpdir(), 'urna-bench-'));
const profileDir = join(REPO_ROOT, '.urna', 'bench', 'profiles');
say(describeLimits());
const stack = await startStack({
  dataDir,
  ports: 'free',
  logs: 'files',
  dynamoOnDisk: true,
  env: BENCH_LIMITS,
  ...(args.profile ? { nodeArgs: { ingest: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } } : {}),
});
const redis = new Redis(stack.urls.redis);
const redisPid = stack.redis?.pid as number;
const secret = Buffer.from(stack.env.URNA_VOTING_TOKEN_SECRET as string, 'base64url');
const adminToken = (
  (await (
    await fetch(`${stack.urls.gateway}/v1/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'bench-admin', role: 'admin' }),
    })
  ).json()) as { token: string }
).token;
async function openElection(id: string): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  await fetch(`${stack.urls.gateway}/v1/elections`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      id,
      title: id,
      options: [
        { id: 'a', label: 'A' },
        { id: 'b', label: 'B' },
        { id: 'c', label: 'C' },
      ],
    }),
  });
  await fetch(`${stack.urls.gateway}/v1/elections/${id}/open`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
}

// 1. ceilings (the ingest and drain rows are ratios to them)
type Bare = Awaited<ReturnType<typeof barePostCeiling>>;
type Lua = Awaited<ReturnType<typeof luaCeiling>>;
let bare: Bare | undefined;
let lua: Lua | undefined;
if (wants('ceilings') || wants('ingest') || wants('drain')) {
  say('ceilings: bare node:http POST, live-tally Lua');
  bare = await barePostCeiling(SECONDS);
  lua = await luaCeiling(redis, 100_000, redisPid);
}

// 2. ingest, open loop, straight to the ingest processes (auth + validation + durable append + receipts);
//    with URNA_INGEST_PROCESSES=N the requests go round-robin to the N processes and their CPU is summed
const ingest: Array<OpenLoopResult & { ingestCpuSeconds: number; acceptedPerCpuSecond: number }> = [];
if (wants('ingest')) {
  const ingestPools = stack.nodes.ingest.map((node) => new Pool(node, { connections: 256, pipelining: 1 }));
  const ingestPids = stack.nodes.ingest.map((_, i) => stack.services.get(processName('ingest', i))?.pid as number);
  const ingestCpu = () => ingestPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  for (const [step, rate] of [[0, RATES[0] ?? 1000], ...RATES.map((r, i) => [i + 1, r])] as Array<[number, number]>) {
    // step 0 warms up (JIT, connection pool, Redis scripts) and is not reported
    say(step === 0 ? `ingest warm-up at ${rate} votes/s` : `ingest at ${rate} votes/s for ${SECONDS} s`);
    const electionId = `ingest-${step}-${rate}`;
    await openElection(electionId);
    const tokens = Array.from({ length: Math.round(rate * SECONDS) }, (_, i) =>
      mintVotingToken({ userId: `u-${rate}-${i}`, role: 'voter' }, secret, 900),
    );
    const body = JSON.stringify({ optionId: 'a' });
    const cpu0 = ingestCpu();
    const result = await openLoop(rate, SECONDS, (i) => postVote(ingestPools[i % ingestPools.length] as Pool, electionId, tokens[i], body));
    const cpu = ingestCpu() - cpu0;
    if (step > 0) ingest.push({ ...result, ingestCpuSeconds: cpu, acceptedPerCpuSecond: (result.statuses['202'] ?? 0) / cpu });
  }
  await Promise.all(ingestPools.map((pool) => pool.close()));
}

// 3. end to end through the gateway at a steady rate
let e2e: Awaited<ReturnType<typeof endToEnd>> | undefined;
if (wants('e2e')) {
  say(`end to end at ${args.e2e} votes/s`);
  await openElection('e2e');
  e2e = await endToEnd(stack.urls.gateway, 'e2e', Number(args.e2e), SECONDS, (userId) =>
    mintVotingToken({ userId, role: 'voter' }, secret, 900),
  );
}

// 4. tally drain: each projection alone over a pre-filled log
let liveDrain: number | undefined;
let storeDrainRows: StoreDrainRow[] = [];
if (wants('drain')) {
  say(`drain: ${DRAIN} votes per projection`);
  const drainLog = await prefilledLog(redis, DRAIN);
  liveDrain = await drainWith(drainLog.log, DRAIN, await liveProjection(redis));
  storeDrainRows = await storeDrain(drainLog.log, drainLog.electionId, DRAIN, dataDir, say);
}

// 5. SSE fan-out on one results-sse process
const sse: FanoutResult[] = [];
if (wants('sse')) {
  for (const clients of SSE_CLIENTS) {
    say(`SSE fan-out: ${clients} clients`);
    sse.push(await sseFanout(stack.urls.results, stack.services.get('results-sse')?.pid as number, redis, clients, SECONDS));
  }
}

// 6. head to head through the edge, urna and (with --peer) any other v1 server, one after the other
const h2h = wants('h2h')
  ? await headToHead({
      urnaUrl: stack.urls.gateway,
      peerUrl: args.peer,
      connections: Number(args.connections),
      rate: Number(args['h2h-rate']),
      seconds: Number(args['h2h-seconds']),
      voters: Number(args['h2h-voters']),
      say,
    })
  : undefined;

// 7. the Redis Cluster's cost: the live tally's Lua on the stack's redis-server vs a local 3+3 cluster
const cluster: ClusterCost | undefined = wants('cluster')
  ? await clusterCost(redis, redisPid, dataDir, Number(args['cluster-votes']), say)
  : undefined;

// 8. peaks absorbed: the intake's peak with the vote store running, paused and at nice 19; the store's drain rate after
const peak: PeakRow[] = wants('peak')
  ? await peakAbsorption({
      gateway: stack.urls.gateway,
      adminToken,
      openElection,
      voterToken: (userId) => mintVotingToken({ userId, role: 'voter' }, secret, 900),
      rate: Number(args['peak-rate']),
      seconds: Number(args['peak-seconds']),
      say,
    })
  : [];

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const result = {
  date: new Date().toISOString(),
  commit,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  ceilings: { barePost: bare, lua },
  ingest,
  e2e,
  drain: { votes: DRAIN, liveVotesPerSecond: liveDrain, store: storeDrainRows },
  sse,
  headToHead: h2h,
  cluster,
  peak,
};
const ratio = (a: number, b: number | undefined) => (b === undefined ? 'n/a' : `${fmt((100 * a) / b, 0)}%`);
const goal = (ok: boolean, text: string) => `${ok ? 'met   ' : 'MISSED'} ${text}`;
const blocks: string[] = [];
if (bare !== undefined && lua !== undefined) {
  blocks.push(`ceilings   bare node:http POST → 202: ${fmt(bare.perCpuSecond, 0)} req per server CPU-s (${fmt(bare.perSecond, 0)} req/s)
           live-tally Lua, 500 votes/EVALSHA, AOF always: ${fmt(lua.perSecond, 0)} votes/s (redis-server at ${fmt(lua.redisCpuPerSecond * 100, 0)}% of a core)`);
}
if (ingest.length > 0) {
  blocks.push(`ingest     offered/s  accepted/s   p50 ms   p95 ms   p99 ms   max ms  statuses                 accepted per ingest CPU-s  ÷ bare
${ingest.map((r) => `           ${String(r.offeredPerSecond).padStart(9)} ${fmt(r.okPerSecond, 0).padStart(11)} ${fmt(r.latencyMs.p50).padStart(8)} ${fmt(r.latencyMs.p95).padStart(8)} ${fmt(r.latencyMs.p99).padStart(8)} ${fmt(r.latencyMs.max).padStart(8)}  ${JSON.stringify(r.statuses).padEnd(24)} ${fmt(r.acceptedPerCpuSecond, 0).padStart(25)}  ${ratio(r.acceptedPerCpuSecond, bare?.perCpuSecond).padStart(5)}`).join('\n')}`);
}
if (e2e !== undefined) {
  blocks.push(
    `end to end ${args.e2e} votes/s through the gateway: 202 → first SSE snapshot including the vote p50 ${fmt(e2e.p50)} ms, p99 ${fmt(e2e.p99)} ms (${e2e.samples} samples; statuses ${JSON.stringify(e2e.statuses)})`,
  );
}
if (liveDrain !== undefined) {
  blocks.push(`drain      ${DRAIN} votes, one projection at a time, worker code in the bench process
           live tally (Redis): ${fmt(liveDrain, 0)} votes/s = ${ratio(liveDrain, lua?.perSecond)} of the Lua ceiling
${formatStoreDrain(storeDrainRows)}`);
}
if (sse.length > 0) {
  blocks.push(`SSE        clients  connected  updates  deliveries   p50 ms   p99 ms  server CPU  server RSS MB
${sse.map((r) => `           ${String(r.clients).padStart(7)} ${String(r.connected).padStart(10)} ${String(r.updates).padStart(8)} ${String(r.deliveries).padStart(11)} ${fmt(r.latencyMs.p50).padStart(8)} ${fmt(r.latencyMs.p99).padStart(8)} ${`${fmt(r.serverCpuPerSecond * 100, 0)}%`.padStart(11)} ${fmt(r.serverRssMb, 0).padStart(14)}`).join('\n')}`);
}
if (h2h !== undefined) blocks.push(formatHeadToHead(h2h));
if (cluster !== undefined) blocks.push(formatClusterCost(cluster));
if (peak.length > 0) blocks.push(formatPeak(peak));

const goals: string[] = [];
const best = ingest.reduce<(typeof ingest)[number] | undefined>(
  (a, b) => (a === undefined || b.acceptedPerCpuSecond > a.acceptedPerCpuSecond ? b : a),
  undefined,
);
if (best !== undefined && bare !== undefined)
  goals.push(
    goal(
      best.acceptedPerCpuSecond >= bare.perCpuSecond / 2,
      `ingest ≥ 50% of the bare POST ceiling per CPU-s: ${ratio(best.acceptedPerCpuSecond, bare.perCpuSecond)}`,
    ),
  );
if (e2e !== undefined) goals.push(goal(e2e.p99 < 250, `end-to-end p99 < 250 ms at ${args.e2e} votes/s: ${fmt(e2e.p99)} ms`));
if (sse.length > 0) {
  const sse15 = sse.find((r) => r.clients >= 15_000);
  goals.push(
    goal(
      sse15 !== undefined && sse15.connected >= 15_000 && sse15.latencyMs.p99 < 250,
      `one results-sse holds 15,000 clients with p99 < 250 ms: ${sse15 === undefined ? 'not run' : `${sse15.connected} connected, p99 ${fmt(sse15.latencyMs.p99)} ms`}`,
    ),
  );
}
if (liveDrain !== undefined && lua !== undefined)
  goals.push(goal(liveDrain >= lua.perSecond / 2, `live tally ≥ 50% of the Lua ceiling: ${ratio(liveDrain, lua.perSecond)}`));
if (h2h !== undefined) {
  const closed = h2h.loads[0] as string;
  const peerRatio = h2h.ratios[closed];
  const urnaClosed = h2h.runs.find((r) => r.target === 'urna' && r.load === closed);
  if (peerRatio !== undefined)
    goals.push(goal(peerRatio >= 1.5, `urna ≥ 1.5× the peer's accepted votes/s, ${closed}: ${fmt(peerRatio, 2)}×`));
  if (urnaClosed !== undefined)
    goals.push(
      goal(
        urnaClosed.reachedEvery202 && urnaClosed.e2eMs.p99 < 250,
        `head to head: the results total reached every 202 and 202 → SSE p99 < 250 ms: ${urnaClosed.reachedEvery202 ? 'reached' : 'NOT reached'}, p99 ${fmt(urnaClosed.e2eMs.p99)} ms`,
      ),
    );
}

console.log(`
urna bench — ${result.machine} — commit ${commit}
${result.command}

${blocks.join('\n\n')}

goals      ${goals.join('\n           ')}
`);
const outDir = join(REPO_ROOT, '.urna', 'bench');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `bench-${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2));
console.log(`JSON: ${file}${args.profile ? `\nprofiles: ${profileDir}` : ''}`);
redis.disconnect();
await stack.stop();
rmSync(dataDir, { recursive: true, force: true });
