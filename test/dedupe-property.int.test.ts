import fc from 'fast-check';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { countedVotes, referenceTally, type LoggedVote } from '@urna/domain';
import { LiveTally } from '@urna/tally';
import { createDynamoClient, VoteStore } from '@urna/store';
import { randomName, testRedis } from './helpers.ts';
import { makeLog } from './fixtures.ts';

const redis = testRedis();
const tally = new LiveTally({ redis, buckets: 8 });
const store = new VoteStore({ client: createDynamoClient({ endpoint: inject('dynamoEndpoint') }), shards: 2, logPartitions: 4 });
afterAll(() => redis.disconnect());

/**
 * Any interleaving of votes, duplicates and redeliveries (batches cut anywhere, records
 * repeated, delivered out of order as after a takeover) ends with one counted vote per user:
 * the first in log order, in both projections.
 */
describe('dedupe rule (property)', () => {
  it('both projections converge on the reference rule', async () => {
    const entry = fc.record({ userId: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'), optionId: fc.constantFrom('a', 'b', 'c') });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 7 }),
        async (entries, extraPicks, seed, batchSize) => {
          const election = randomName('prop');
          const log = makeLog(election, entries);
          // every record at least once, in a seeded shuffled order, plus redeliveries
          const deliveries: LoggedVote[] = shuffle([...log, ...extraPicks.map((i) => log[i % log.length] as LoggedVote)], seed);
          for (let i = 0; i < deliveries.length; i += batchSize) {
            const batch = deliveries.slice(i, i + batchSize);
            await tally.apply(batch);
            await store.write(batch);
          }
          const expected = Object.fromEntries(referenceTally(log).get(election) ?? new Map());
          const live = await tally.results(election);
          expect(nonZero(live?.counts ?? {})).toEqual(expected);
          const stored = await store.tally(election);
          expect(stored.counts).toEqual(expected);
          expect(stored.accepted).toBe(log.length);
          for (const winner of countedVotes(log).values()) {
            const receipts = await store.receiptsOf(election, winner.vote.userId);
            expect(receipts[0]?.voteId).toBe(winner.vote.voteId);
            const liveReceipts = await tally.receiptsOf(election, winner.vote.userId);
            expect(liveReceipts[0]).toMatchObject({ voteId: winner.vote.voteId, status: 'counted' });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));

function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  for (let i = items.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
