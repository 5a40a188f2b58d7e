// A consumer-group member in its own process, for test/kafka-group.int.test.ts. It applies each
// batch to the real live tally, then prints one JSON line per batch; after `crashAfter`
// batches it SIGKILLs itself right after applying, before the offset is committed (CRASH_AFTER=0:
// never). Used by test/kafka-group.int.test.ts and test/kafka-static-member.int.test.ts.
import { Redis } from 'ioredis';
import { KafkaLog } from '@urna/log/kafka';
import { LiveTally } from '@urna/tally';

const env = (key: string): string => {
  const value = process.env[key];
  if (value === undefined) throw new Error(`${key} is required`);
  return value;
};

const redis = new Redis(env('REDIS_URL'));
const tally = new LiveTally({ redis });
await tally.loadScripts();
const log = await KafkaLog.connect({
  brokers: env('BROKERS').split(','),
  clientId: 'urna-test-member',
  topic: env('TOPIC'),
  partitions: 4,
  sessionTimeoutMs: Number(process.env.SESSION_MS ?? 6_000),
  staticMembership: process.env.STATIC !== '0',
});
const crashAfter = Number(env('CRASH_AFTER'));
let batches = 0;
await log.consume({ group: env('GROUP'), consumer: process.env.MEMBER ?? 'member-a', batchSize: 20, blockMs: 100 }, async (records) => {
  await tally.apply(records);
  process.stdout.write(
    `${JSON.stringify({ partitions: [...new Set(records.map((r) => r.partition))], voteIds: records.map((r) => r.vote.voteId) })}\n`,
  );
  if (++batches === crashAfter) process.kill(process.pid, 'SIGKILL');
});
process.stdout.write('{"ready":true}\n');
