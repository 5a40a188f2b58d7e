/**
 * The transparency projection run by the worker loop on both adapters of the VoteLog port (Redis
 * Streams, the run's 3-broker Kafka cluster): every entry, counted or not, and one close leaf per
 * partition land in log order; a second consumer group rebuilding from the log gets the same roots.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Vote } from '@urna/domain';
import { RedisStreamsLog, type VoteLog } from '@urna/log';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { generateSigner } from '@urna/transparency';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { startWorker } from '../src/worker.ts';
import { TransparencyProjection } from '../src/transparency-projection.ts';

const redis = new Redis(inject('redisUrl'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  redis.disconnect();
});
const name = (p: string) => `${p}-${randomBytes(5).toString('hex')}`;
const PARTITIONS = 4;

const LOGS: Record<string, () => Promise<VoteLog>> = {
  redis: async () =>
    new RedisStreamsLog({ redis, connect: () => new Redis(inject('redisUrl')), partitions: PARTITIONS, prefix: name('test:votes') }),
  kafka: async () => {
    const { KafkaLog } = await import('@urna/log/kafka');
    const topic = name('test.votes');
    await createKafkaTopic(inject('kafkaBrokers'), topic, PARTITIONS);
    return KafkaLog.connect({ brokers: inject('kafkaBrokers').split(','), clientId: 'urna-test', topic, partitions: PARTITIONS });
  },
};

async function project(log: VoteLog, electionId: string, expectedLeaves: number) {
  const prefix = name('test:tlog');
  const logs = new RedisElectionLogs(redis, { prefix });
  cleanups.push(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  const projection = new TransparencyProjection(name('transparency'), {
    logs,
    signer: generateSigner('urna.test/log'),
    rootSecret: Buffer.alloc(32, 7),
    partitions: PARTITIONS,
    closingScope: prefix,
    reconciliation: async () => undefined,
  });
  const worker = await startWorker({ log, projection, consumer: 'member-1', registry: new Registry(), batchSize: 37 });
  try {
    const deadline = Date.now() + 60_000;
    let sizes: number[] = [];
    while (Date.now() < deadline) {
      sizes = await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await logs.log(electionId, p).state()).size));
      if (sizes.reduce((a, b) => a + b, 0) >= expectedLeaves) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const trees = await Promise.all(
      sizes.map(async (size, p) => ({
        leaves: await logs.leaves(electionId, p, 0, size),
        root: (await logs.log(electionId, p).root()).toString('base64'),
      })),
    );
    return { sizes, trees };
  } finally {
    await worker.stop();
  }
}

describe.each(Object.keys(LOGS))('transparency projection on the %s log', (kind) => {
  it('appends every entry and one close leaf per partition in log order; a rebuild gives the same roots', async () => {
    const log = await (LOGS[kind] as () => Promise<VoteLog>)();
    cleanups.push(() => log.close());
    const electionId = name('e');
    const vote = (userId: string): Vote => ({ voteId: randomUUID(), electionId, userId, optionId: 'a', acceptedAt: Date.now() });
    await log.append(Array.from({ length: 150 }, (_, i) => vote(`u${i}`)));
    await log.append(Array.from({ length: 30 }, (_, i) => vote(`u${i}`))); // duplicates
    await log.appendCloseMarker(electionId);
    await log.appendCloseMarker(electionId); // a retried close: no second close leaf
    await log.append(Array.from({ length: 10 }, (_, i) => vote(`late${i}`)));
    const expected = 190 + PARTITIONS;

    const first = await project(log, electionId, expected);
    expect(first.sizes.reduce((a, b) => a + b, 0)).toBe(expected);
    for (const tree of first.trees) {
      const positions = tree.leaves.map((l) => l.split('\n')[3] as string);
      expect([...positions].sort()).toEqual(positions);
      expect(new Set(positions).size).toBe(positions.length);
      expect(tree.leaves.filter((l) => l.split('\n')[4] === 'close')).toHaveLength(1);
    }
    const rebuilt = await project(log, electionId, expected);
    expect(rebuilt.trees.map((t) => t.root)).toEqual(first.trees.map((t) => t.root));
  });
});
