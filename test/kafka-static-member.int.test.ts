import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { KafkaLog } from '@urna/log/kafka';
import { LiveTally } from '@urna/tally';
import type { Vote } from '@urna/domain';
import { eventually, randomName } from './helpers.ts';

const redis = new Redis(inject('redisUrl'));
const children = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  redis.disconnect();
});

const SESSION_MS = 15_000;

/** Runs test/kafka-member.ts; resolves with when it started and when it applied its first batch. */
function member(env: Record<string, string>): { firstBatch: Promise<number>; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/kafka-member.ts'], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), BROKERS: inject('kafkaBrokers'), SESSION_MS: String(SESSION_MS), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const firstBatch = new Promise<number>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"voteIds"')) resolve(Date.now());
    });
  });
  return { firstBatch, exited: new Promise((resolve) => child.once('exit', (_, signal) => resolve(signal))) };
}

/**
 * A worker SIGKILLed after applying a batch (before committing it) and restarted under the same
 * name. The time from the restart to its first applied batch is the takeover time: with static
 * membership (group.instance.id) the restarted member takes its old identity's place at once;
 * without it, the group waits for the dead identity's session (here 15 s) to expire.
 */
async function takeover(staticMembership: boolean): Promise<number> {
  const brokers = inject('kafkaBrokers');
  const topic = randomName('test.static');
  const group = randomName('group');
  const electionId = randomName('e');
  await createKafkaTopic(brokers, topic, 4);
  const log = await KafkaLog.connect({ brokers: brokers.split(','), clientId: 'urna-test', topic, partitions: 4 });
  const votes = Array.from({ length: 400 }, (): Vote => ({
    voteId: randomUUID(),
    electionId,
    userId: randomName('u'),
    optionId: 'a',
    acceptedAt: Date.now(),
  }));
  await log.append(votes);
  const env = { TOPIC: topic, GROUP: group, MEMBER: 'worker-1', STATIC: staticMembership ? '1' : '0' };
  expect(await member({ ...env, CRASH_AFTER: '3' }).exited).toBe('SIGKILL');
  const restartedAt = Date.now();
  const restarted = member({ ...env, CRASH_AFTER: '0' });
  const resumedAfter = (await restarted.firstBatch) - restartedAt;
  await eventually(
    'the group drained',
    async () => {
      const b = await log.backlog(group);
      return b.undelivered === 0 ? true : undefined;
    },
    60_000,
  );
  // the batch applied before the crash came again; every vote still counts once
  const tally = new LiveTally({ redis });
  expect((await tally.results(electionId))?.total).toBe(votes.length);
  await log.close();
  return resumedAfter;
}

it(`a restarted worker with static membership resumes its partitions well within the session timeout (${SESSION_MS / 1000} s); without it, only after`, async () => {
  const withStatic = await takeover(true);
  const withoutStatic = await takeover(false);
  console.log(
    `takeover after a restart: static membership ${withStatic} ms, dynamic ${withoutStatic} ms (session timeout ${SESSION_MS} ms)`,
  );
  // the restart includes starting Node and tsx and joining the group (a few seconds on a busy machine)
  expect(withStatic).toBeLessThan(SESSION_MS / 2);
  expect(withoutStatic).toBeGreaterThan(withStatic);
}, 180_000);
