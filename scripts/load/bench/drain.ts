import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { RedisStreamsLog } from '@urna/log';
import { LiveTally } from '@urna/tally';
import type { VoteStore } from '@urna/store';
import type { Vote } from '@urna/domain';
import { liveTallyProjection, startWorker, voteStoreProjection, type Projection } from '@urna/tally-worker';

/** A log of `votes` votes (10% repeat voters) under a fresh prefix, appended in 1,000-vote batches. */
export async function prefilledLog(redis: Redis, votes: number, partitions = 16): Promise<{ log: RedisStreamsLog; electionId: string }> {
  const log = new RedisStreamsLog({
    redis,
    connect: () => redis.duplicate(),
    partitions,
    prefix: `bench:drain:${randomUUID().slice(0, 8)}`,
  });
  const electionId = `drain-${randomUUID().slice(0, 8)}`;
  const users = Math.round(votes * 0.9);
  for (let i = 0; i < votes; i += 1_000) {
    await log.append(
      Array.from({ length: Math.min(1_000, votes - i) }, (_, k): Vote => {
        const n = i + k;
        return {
          voteId: randomUUID(),
          electionId,
          userId: `user-${n % users}`,
          optionId: ['a', 'b', 'c'][n % 3] as string,
          acceptedAt: Date.now(),
        };
      }),
    );
  }
  return { log, electionId };
}

/** Runs one projection (as the tally worker does, in this process) over the whole log; votes/s. */
export async function drainWith(log: RedisStreamsLog, votes: number, projection: Projection): Promise<number> {
  let applied = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const counting: Projection = {
    ...projection,
    group: `${projection.group}-bench-${randomUUID().slice(0, 6)}`,
    apply: async (records, markers) => {
      await projection.apply(records, markers);
      applied += records.length;
      if (applied >= votes) done();
    },
  };
  const t0 = performance.now();
  // one consumer that never dies: no takeover of its own slow prefetched records (on a busy machine a 30 s claim would redeliver them)
  const worker = await startWorker({
    log,
    projection: counting,
    consumer: 'bench',
    registry: new Registry(),
    batchSize: 500,
    claimIdleMs: 3_600_000,
  });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  return votes / seconds;
}

export const liveProjection = async (redis: Redis): Promise<Projection> => {
  const tally = new LiveTally({ redis });
  await tally.loadScripts();
  return liveTallyProjection(tally);
};
export const storeProjection = (store: VoteStore): Projection => voteStoreProjection(store);
