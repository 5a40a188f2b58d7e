import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RedisStreamsLog } from '@urna/log';
import type { Vote } from '@urna/domain';
import { AppendBatcher } from '../src/append-batcher.ts';
import { randomName, testRedis } from '../../test/helpers.ts';

const vote = (i: number): Vote => ({ voteId: randomUUID(), electionId: 'e', userId: `u${i}`, optionId: 'a', acceptedAt: Date.now() });

describe('AppendBatcher', () => {
  it('turns concurrent appends into one log call and answers each caller with its own position', async () => {
    const redis = testRedis();
    const log = new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: 4, prefix: randomName('test:votes') });
    const calls: number[] = [];
    const batcher = new AppendBatcher({
      append: (votes) => {
        calls.push(votes.length);
        return log.append(votes);
      },
    });
    const votes = Array.from({ length: 200 }, (_, i) => vote(i));
    const logged = await Promise.all(votes.map((v) => batcher.append(v)));
    expect(calls).toEqual([200]);
    logged.forEach((l, i) => expect(l.vote.voteId).toBe(votes[i]?.voteId));
    redis.disconnect();
  });

  it('caps a batch at maxBatch and fails only the callers of a failed batch', async () => {
    const calls: number[] = [];
    let fail = true;
    const batcher = new AppendBatcher({
      maxBatch: 10,
      append: async (votes) => {
        calls.push(votes.length);
        if (fail) {
          fail = false;
          throw new Error('log down');
        }
        return votes.map((v, i) => ({ vote: v, partition: 0, position: String(i) }));
      },
    });
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => batcher.append(vote(i))));
    expect(calls).toEqual([10, 10, 5]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(10);
  });
});
