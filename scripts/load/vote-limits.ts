// CPU per vote of the vote path's Redis-backed limits (per-user attempts, no election ceiling),
// client side (this process) and redis-server side, in two ways on one redis-server of its own:
// rate-limiter-flexible's consume, one call per vote (the path before issue 12's hot-path work), and
// RateLimits.checkVote, batched per event-loop turn (consumeAttempts-N.lua). `--turn` votes arrive
// per turn, as concurrent requests do. CPU time, not wall time, so a busy machine changes little.
// Usage: node --import tsx scripts/load/vote-limits.ts [-- --n 20000 --turn 20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisServer } from '@urna/embedded';
import { RateLimits } from '@urna/ingest';
import { LiveTally } from '@urna/tally';
import { cpuSeconds, fmt } from './measure.ts';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '20000' }, turn: { type: 'string', default: '20' } } });
const N = Number(args.n);
const TURN = Number(args.turn);
const dir = mkdtempSync(join(tmpdir(), 'urna-limits-'));
const server = await RedisServer.start({ dataDir: dir });
const redis = new Redis(server.url);
const redisPid = server.pid as number;

async function measure(name: string, check: (i: number) => Promise<unknown>, perTurn?: (first: number) => Promise<unknown>): Promise<void> {
  const turn = (first: number) => perTurn?.(first) ?? Promise.all(Array.from({ length: TURN }, (_, k) => check(first + k)));
  for (let i = 0; i < 2_000; i += TURN) await turn(-10_000 + i); // warm-up
  const mine0 = process.cpuUsage();
  const redis0 = cpuSeconds(redisPid);
  for (let i = 0; i < N; i += TURN) await turn(i);
  const mine = process.cpuUsage(mine0);
  const redisUs = ((cpuSeconds(redisPid) - redis0) * 1e6) / N;
  console.log(
    `${name.padEnd(58)} client ${fmt((mine.user + mine.system) / N).padStart(6)} µs/vote   redis-server ${fmt(redisUs).padStart(6)} µs/vote`,
  );
}

const flexible = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'bench:rlf', points: 10, duration: 60 });
const batched = new RateLimits(
  redis,
  { userVotes: 10, userWindowSeconds: 60, ipFailures: 100, ipFailuresWindowSeconds: 60, electionVotesPerSecond: 0, keyPrefix: 'bench:rl' },
  new Registry(),
);
console.log(`${N} votes, ${TURN} per event-loop turn, one user each`);
await measure('rate-limiter-flexible consume, one call per vote', (i) => flexible.consume(`e|u${i}`));
await measure('RateLimits.checkVote, one consumeAttempts-N call per turn', (i) => batched.checkVote('e', `u${i}`, undefined));
const tally = new LiveTally({ redis });
await tally.loadScripts();
const receipt = (i: number) => ({
  vote: {
    voteId: `00000000-0000-4000-8000-${String(i + 20_000).padStart(12, '0')}`,
    electionId: 'e',
    userId: `u${i}`,
    optionId: 'a',
    acceptedAt: 0,
  },
  partition: i % 16,
  position: String(i + 20_000).padStart(20, '0'),
});
await measure(
  'receipts: LiveTally.recordReceipts, one call per batch',
  () => Promise.resolve(),
  (first) => tally.recordReceipts(Array.from({ length: TURN }, (_, k) => receipt(first + k))),
);
redis.disconnect();
await server.stop();
rmSync(dir, { recursive: true, force: true });
