import { randomUUID } from 'node:crypto';
import { afterAll, expect, it, inject } from 'vitest';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { KafkaLog } from '@urna/log/kafka';
import type { LoggedVote, Vote } from '@urna/domain';
import { eventually, randomName } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/*
 * Two deployments on one cluster (here: two logs on one topic) run the same projection group
 * with the same static member name, as every urna deployment does. With a group prefix each,
 * they are two groups: each reads every record, and each one's backlog is its own. Without it
 * they would be one group whose members fence each other.
 */
it('deployments with their own URNA_KAFKA_GROUP_PREFIX never share a group, even with equal member names', async () => {
  const brokers = inject('kafkaBrokers').split(',');
  const topic = randomName('test.votes');
  await createKafkaTopic(inject('kafkaBrokers'), topic, 4);
  const open = async (groupPrefix: string) => {
    const log = await KafkaLog.connect({ brokers, clientId: 'urna-test', topic, partitions: 4, sessionTimeoutMs: 6_000, groupPrefix });
    cleanups.push(() => log.close());
    return log;
  };
  const [a, b] = await Promise.all([open(randomName('a') + '.'), open(randomName('b') + '.')]);
  const votes = Array.from({ length: 200 }, (): Vote => ({
    voteId: randomUUID(),
    electionId: 'e',
    userId: randomName('u'),
    optionId: 'a',
    acceptedAt: Date.now(),
  }));
  await a.append(votes);

  // deployment a's projection reads everything and commits, and stops; then deployment b's
  // starts: in a group of its own it reads every record again (in a shared group it would
  // start from a's committed offsets and read nothing)
  const seen = [new Set<string>(), new Set<string>()] as const;
  for (const [i, log] of [a, b].entries()) {
    const running = await log.consume(
      { group: 'live-tally', consumer: 'live-1', batchSize: 50 },
      async (records: readonly LoggedVote[]) => {
        for (const r of records) seen[i]?.add(r.vote.voteId);
      },
    );
    await eventually(
      `deployment ${i} drained`,
      async () => {
        const backlog = await log.backlog('live-tally');
        return seen[i]?.size === votes.length && backlog.undelivered + backlog.pending === 0 ? true : undefined;
      },
      30_000,
    );
    await running.stop();
  }
  expect(seen[0].size).toBe(200);
  expect(seen[1].size).toBe(200);
}, 120_000);
