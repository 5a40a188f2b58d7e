// One live-tally worker (in this process) draining a pre-filled Redis log on its own redis-server,
// with nothing else running: the worker's figure without the rest of the bench around it.
// Usage: node --import tsx scripts/load/drain-alone.ts [votes=100000]   (add --cpu-prof to profile)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from '@urna/embedded';
import { drainWith, liveProjection, prefilledLog } from './bench/drain.ts';

const votes = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'urna-drain-'));
const server = await RedisServer.start({ dataDir: dir });
const redis = new Redis(server.url);
const { log } = await prefilledLog(redis, votes);
console.log(`live tally, one worker, ${votes} votes: ${(await drainWith(log, votes, await liveProjection(redis))).toFixed(0)} votes/s`);
redis.disconnect();
await server.stop();
rmSync(dir, { recursive: true, force: true });
