// The vote-store drain alone: one pre-filled Redis log (own redis-server) drained into each item
// format back to back (one item per vote, transact and batch; vote pages), on DynamoDB Local in
// memory and on disk, with DynamoDB Local's CPU and the write units DynamoDB reports per vote.
// The same rows as `npm run bench -- --only drain`, without the rest of the stack running.
// Usage: node --import tsx scripts/load/store-drain.ts [votes=50000] [in-memory,file]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from '@urna/embedded';
import { prefilledLog } from './bench/drain.ts';
import { formatStoreDrain, storeDrain } from './bench/store-drain.ts';

const votes = Number(process.argv[2] ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'urna-store-drain-'));
const server = await RedisServer.start({ dataDir: dir });
const redis = new Redis(server.url);
const { log, electionId } = await prefilledLog(redis, votes);
const modes = (process.argv[3] ?? 'in-memory,file').split(',') as Array<'in-memory' | 'file'>;
const rows = await storeDrain(log, electionId, votes, dir, (m) => console.log(`store-drain: ${m}`), modes);
console.log(
  `store drain, ${votes} votes (10% repeat voters), 16 log partitions, 500-vote batches, worker code in this process\n${formatStoreDrain(rows)}`,
);
console.log(JSON.stringify({ date: new Date().toISOString(), votes, rows }));
redis.disconnect();
await server.stop();
rmSync(dir, { recursive: true, force: true });
