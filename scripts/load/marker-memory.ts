// Redis memory per voter for the live tally's dedupe markers and receipts, at the bucket
// occupancy a real election reaches (for capacity planning). Starts its own redis-server.
// Usage: node --import tsx scripts/load/marker-memory.ts [votes=200000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisServer } from '@urna/embedded';
import { LiveTally } from '@urna/tally';
import type { LoggedVote } from '@urna/domain';

const votes = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'urna-mem-'));
const server = await RedisServer.start({ dataDir: dir });
const redis = new Redis(server.url);
const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
// 300 M voters over 65,536 buckets is ~4,600 per bucket (hashtable encoding); over 4 M buckets ~75 per bucket (listpack)
for (const [label, perBucket] of [
  ['~4,600 voters per bucket (300 M over 65,536 buckets)', 4_600],
  ['~75 voters per bucket (300 M over 4 M buckets)', 75],
] as const) {
  const buckets = Math.max(1, Math.round(votes / perBucket));
  const tally = new LiveTally({ redis, buckets });
  await tally.loadScripts();
  const electionId = `mem-${randomUUID().slice(0, 6)}`;
  const before = await used();
  for (let i = 0; i < votes; i += 1_000) {
    const batch: LoggedVote[] = Array.from({ length: 1_000 }, (_, k) => {
      const n = i + k;
      return {
        vote: {
          voteId: randomUUID(),
          electionId,
          userId: `auth0|${((n * 2654435761) % 4294967296).toString(16).padStart(8, '0')}${n}`,
          optionId: 'opt-a',
          acceptedAt: Date.now(),
        },
        partition: 0,
        position: `${String(1_732_490_000_000 + n).padStart(18, '0')}-0000000000`,
      };
    });
    await tally.apply(batch);
    await tally.recordReceipts(batch);
  }
  const after = await used();
  console.log(`${label}: ${((after - before) / votes).toFixed(0)} bytes per voter (marker + receipt), ${buckets} buckets`);
  await redis.flushall();
}
redis.disconnect();
await server.stop();
rmSync(dir, { recursive: true, force: true });
