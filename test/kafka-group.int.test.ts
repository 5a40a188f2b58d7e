import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { KafkaLog } from '@urna/log/kafka';
import { LiveTally } from '@urna/tally';
import type { LoggedVote, Vote } from '@urna/domain';
import { eventually, randomName } from './helpers.ts';

const redis = new Redis(inject('redisUrl'));
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  redis.disconnect();
});

/*
 * Two members of one consumer group on the Kafka log (the run's 3-broker cluster), both applying
 * to the real live tally. Member A runs in its own process and SIGKILLs itself right after
 * applying a batch, before committing it: the worst moment. The group must have split the
 * partitions between A and B; after A's session times out its partitions move to B, which
 * gets A's last batch again. Nothing may be lost and nothing counted twice.
 */
it('a two-member group splits the partitions; killing one member moves them to the other: 0 lost, 0 double', async () => {
  const brokers = inject('kafkaBrokers');
  const topic = randomName('test.votes');
  const group = randomName('group');
  const electionId = randomName('e');
  await createKafkaTopic(brokers, topic, 4);
  const log = await KafkaLog.connect({ brokers: brokers.split(','), clientId: 'urna-test', topic, partitions: 4, sessionTimeoutMs: 6_000 });
  cleanups.push(() => log.close());
  const tally = new LiveTally({ redis });
  await tally.loadScripts();

  const appended: Vote[] = [];
  const append = async (n: number) => {
    const votes = Array.from({ length: n }, (): Vote => ({
      voteId: randomUUID(),
      electionId,
      userId: randomName('u'),
      optionId: 'a',
      acceptedAt: Date.now(),
    }));
    await log.append(votes);
    appended.push(...votes);
  };

  // member B, in this process
  const bSeen = new Set<string>();
  const bPartitions: Array<{ at: number; partition: number }> = [];
  let bRedelivered = 0;
  await log.consume({ group, consumer: 'member-b', batchSize: 20, blockMs: 100 }, async (records: readonly LoggedVote[]) => {
    const summary = await tally.apply(records);
    bRedelivered += summary.redelivered;
    for (const r of records) {
      bSeen.add(r.vote.voteId);
      bPartitions.push({ at: Date.now(), partition: r.partition });
    }
  });

  // member A, its own process, dies after applying its 8th batch
  const a = spawn(process.execPath, ['--import', 'tsx', 'test/kafka-member.ts'], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), BROKERS: brokers, TOPIC: topic, GROUP: group, CRASH_AFTER: '8' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => void a.kill('SIGKILL'));
  const aBatches: Array<{ partitions: number[]; voteIds: string[] }> = [];
  let aFirstAt = 0;
  createInterface({ input: a.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { partitions?: number[]; voteIds?: string[] };
    if (message.voteIds === undefined || message.partitions === undefined) return;
    aFirstAt ||= Date.now();
    aBatches.push({ partitions: message.partitions, voteIds: message.voteIds });
  });
  const aDied = new Promise<NodeJS.Signals | null>((resolve) => a.once('exit', (_, signal) => resolve(signal)));

  // a steady stream of votes until A has died, then some more for B to take over
  let aDead = false;
  void aDied.then(() => (aDead = true));
  await eventually(
    'member A applies 8 batches and dies',
    async () => {
      await append(20);
      return aDead ? true : undefined;
    },
    60_000,
  );
  expect(await aDied).toBe('SIGKILL');
  const diedAt = Date.now();
  await append(200);

  await eventually(
    'B has every vote A did not commit, and the group is drained',
    async () => {
      const b = await log.backlog(group);
      return b.undelivered + b.pending === 0 &&
        appended.every((v) => bSeen.has(v.voteId) || aBatches.slice(0, -1).some((x) => x.voteIds.includes(v.voteId)))
        ? true
        : undefined;
    },
    60_000,
  );

  const aPartitions = new Set(aBatches.flatMap((x) => x.partitions));
  const bWhileAAlive = new Set(bPartitions.filter((x) => x.at > aFirstAt + 1_000 && x.at < diedAt - 500).map((x) => x.partition));
  const bAfter = new Set(bPartitions.filter((x) => x.at > diedAt).map((x) => x.partition));
  // the split: A owned some partitions, B the others
  expect(aPartitions.size).toBeGreaterThan(0);
  expect(aPartitions.size).toBeLessThan(4);
  expect([...bWhileAAlive].filter((p) => aPartitions.has(p))).toEqual([]);
  // the takeover: after A died, B reads every partition, A's included
  expect([...bAfter].sort()).toEqual([0, 1, 2, 3]);
  // A's last batch was applied but never committed: B got it again and the tally absorbed it
  const lastOfA = aBatches.at(-1)?.voteIds ?? [];
  expect(lastOfA.length).toBeGreaterThan(0);
  expect(lastOfA.every((id) => bSeen.has(id))).toBe(true);
  expect(bRedelivered).toBeGreaterThanOrEqual(lastOfA.length);
  // 0 lost, 0 double: one vote per user, each counted exactly once
  const results = await tally.results(electionId);
  expect(results?.total).toBe(appended.length);
}, 120_000);
