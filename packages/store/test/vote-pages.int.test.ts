import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { partitionOf, referenceTally, type LoggedVote } from '@urna/domain';
import { createDynamoClient, VoteStore } from '../src/index.ts';
import { randomName } from '../../../test/helpers.ts';
import { makeLog } from '../../../test/fixtures.ts';

const client = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
const pages = (maxPageBytes?: number) =>
  new VoteStore({ client, shards: 4, logPartitions: 4, ...(maxPageBytes === undefined ? {} : { maxPageBytes }) });

/** What the history must answer, from the log itself: the reference fold and each user's votes in log order. */
function expected(log: readonly LoggedVote[], election: string) {
  const counts = Object.fromEntries(referenceTally(log).get(election) ?? new Map<string, number>());
  const users = new Map<string, string[]>();
  for (const r of [...log].sort((a, b) => (a.position < b.position ? -1 : 1)))
    users.set(r.vote.userId, [...(users.get(r.vote.userId) ?? []), r.vote.voteId]);
  // vote records per log partition (4 here), each once: what the reconciliation's `entries` reports
  const entries = Array.from({ length: 4 }, (_, p) => new Set(log.filter((r) => r.partition === p).map((r) => r.position)).size);
  return { counts, users, entries };
}

/** Cuts `records` into consecutive batches at the given cut lengths (cycled). */
function cut(records: readonly LoggedVote[], lengths: readonly number[]): LoggedVote[][] {
  const out: LoggedVote[][] = [];
  for (let i = 0, k = 0; i < records.length; k++) {
    const n = lengths.length === 0 ? records.length : (lengths[k % lengths.length] as number);
    out.push(records.slice(i, i + n));
    i += n;
  }
  return out;
}

describe('vote pages', () => {
  it('any cutting and redelivery order gives the same fold and the same user histories (property)', async () => {
    const entry = fc.record({
      userId: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'),
      optionId: fc.constantFrom('a', 'b', 'c'),
    });
    const cuts = fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 40 }),
        cuts,
        cuts,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        fc.constantFrom(undefined, 120, 400),
        async (entries, firstCuts, secondCuts, order, reverse, maxPageBytes) => {
          const election = randomName('pages');
          const log = makeLog(election, entries);
          const store = pages(maxPageBytes);
          // first delivery in log order, then a redelivery of everything cut differently, batches in a shuffled order
          const first = cut(log, firstCuts);
          const again = cut(reverse ? [...log].reverse() : log, secondCuts);
          for (const i of order) again.push(again[i % again.length] as LoggedVote[]);
          const batches = [...first, ...again.sort((a, b) => ((a[0]?.position ?? '') < (b[0]?.position ?? '') ? 1 : -1))];
          for (const batch of batches) await store.write(batch);
          const want = expected(log, election);
          const tally = await store.tally(election);
          expect(tally).toEqual({
            counts: want.counts,
            total: want.users.size,
            accepted: log.length,
            duplicates: log.length - want.users.size,
            afterClose: 0,
            forged: 0,
            entries: want.entries,
          });
          for (const [userId, voteIds] of want.users) {
            expect((await store.votesOf(election, userId)).map((v) => v.voteId)).toEqual(voteIds);
            const positions = log.filter((r) => r.vote.userId === userId).map((r) => r.position);
            expect((await store.votesAt(election, userId, positions)).map((v) => v.voteId)).toEqual(voteIds);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a batch too large for one item is cut into pages under 400 KB, all of it readable', async () => {
    const election = randomName('big');
    const store = pages();
    // 6,000 votes with 120-character random user ids: ~1 MB uncompressed, over 400 KB even deflated
    const oneGroup: LoggedVote[] = [];
    while (oneGroup.length < 6_000) {
      const userId = `${randomUUID()}${randomUUID()}${randomUUID()}`.slice(0, 120);
      if (partitionOf(userId, 4) !== 0) continue; // one (election, partition) group: one batch's worth for a single page key
      const i = oneGroup.length;
      oneGroup.push({
        vote: { voteId: randomUUID(), electionId: election, userId, optionId: i % 5 === 0 ? 'b' : 'a', acceptedAt: 1_700_000_000_000 + i },
        partition: 0,
        position: String(i).padStart(12, '0'),
      });
    }
    await store.write(oneGroup);
    expect(store.usage.itemsWritten).toBeGreaterThan(1);
    expect(store.usage.bytesWritten / store.usage.itemsWritten).toBeLessThan(400 * 1024);
    expect(await store.tally(election)).toMatchObject({ total: oneGroup.length, accepted: oneGroup.length });
    const sample = oneGroup[oneGroup.length - 1] as LoggedVote;
    expect((await store.votesOf(election, sample.vote.userId)).map((v) => v.voteId)).toEqual([sample.vote.voteId]);
  });

  it('reads format-1 items (one per vote) alongside pages, each vote once', async () => {
    const election = randomName('old');
    const log = makeLog(
      election,
      Array.from({ length: 300 }, (_, i) => ({ userId: `u${i % 120}`, optionId: i % 3 === 0 ? 'b' : 'a' })),
    );
    const items = new VoteStore({ client, format: 'items', mode: 'batch', shards: 4, logPartitions: 4 });
    await items.write(log.slice(0, 200)); // before the upgrade
    const store = pages();
    await store.write(log.slice(150)); // after it: a redelivered batch overlaps the old items
    const want = expected(log, election);
    expect(await store.tally(election)).toEqual({
      counts: want.counts,
      total: 120,
      accepted: 300,
      duplicates: 180,
      afterClose: 0,
      forged: 0,
      entries: want.entries,
    });
    for (const userId of ['u0', 'u7', 'u119'])
      expect((await store.votesOf(election, userId)).map((v) => v.voteId)).toEqual(want.users.get(userId));
    expect((await store.receiptsOf(election, 'u7'))[0]).toEqual({ voteId: want.users.get('u7')?.[0], optionId: 'a', status: 'counted' });
  });

  it('finds a vote by its position in one small Query, and a user without positions by reading their partition', async () => {
    const election = randomName('at');
    const log = makeLog(
      election,
      Array.from({ length: 8_000 }, (_, i) => ({ userId: `voter-${i}`, optionId: 'a' })),
    );
    const store = pages();
    for (let i = 0; i < log.length; i += 500) await store.write(log.slice(i, i + 500));
    const target = log[6_123] as LoggedVote;
    const r0 = store.usage.readUnits;
    expect((await store.votesAt(election, target.vote.userId, [target.position])).map((v) => v.voteId)).toEqual([target.vote.voteId]);
    const byPosition = store.usage.readUnits - r0;
    expect((await store.votesOf(election, target.vote.userId)).map((v) => v.voteId)).toEqual([target.vote.voteId]);
    const byPartition = store.usage.readUnits - r0 - byPosition;
    expect(byPosition).toBeLessThan(byPartition / 4); // one page (plus the empty format-1 Query) vs all 16 pages of the partition
  });

  it('refuses a vote from a partition the store does not compute for its user (mismatched URNA_LOG_PARTITIONS)', async () => {
    const election = randomName('mis');
    const [record] = makeLog(election, [{ userId: 'u1', optionId: 'a' }], 8);
    const store = new VoteStore({ client, logPartitions: 4 });
    await expect(store.write([{ ...(record as LoggedVote), partition: ((record as LoggedVote).partition + 1) % 8 }])).rejects.toMatchObject(
      { code: 'STORE_PARTITION_MISMATCH' },
    );
  });
});
