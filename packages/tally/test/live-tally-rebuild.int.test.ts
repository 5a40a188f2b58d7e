import { afterAll, describe, expect, it } from 'vitest';
import type { LoggedVote } from '@urna/domain';
import { LiveTally } from '../src/index.ts';
import { randomName, testRedis } from '../../../test/helpers.ts';
import { closeMarkers, makeLog } from '../../../test/fixtures.ts';

const redis = testRedis();
afterAll(() => redis.disconnect());

/** The history's counted votes (first in log order per user) of the log's first `upTo` records: a store that lags. */
function foldOf(log: readonly LoggedVote[], upTo = log.length) {
  const first = new Map<string, LoggedVote>();
  for (const v of log.slice(0, upTo)) if (!first.has(v.vote.userId)) first.set(v.vote.userId, v);
  return [...first.values()].map((v) => ({
    userId: v.vote.userId,
    optionId: v.vote.optionId,
    voteId: v.vote.voteId,
    position: v.position,
  }));
}

function expectedCounts(log: readonly LoggedVote[]): Record<string, number> {
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (const v of foldOf(log)) counts[v.optionId] = (counts[v.optionId] ?? 0) + 1;
  return counts;
}

describe.each([1, 4])('LiveTally.rebuild (reprocess) with %i sub-shard(s)', (subShards) => {
  const tally = new LiveTally({ redis, buckets: 64, subShards });

  it('repeated during a live storm on an open election, from a history that lags the live worker: no applied vote is dropped, the total never goes backwards', async () => {
    const election = randomName('rp');
    await tally.initElection(election, ['a', 'b', 'c']);
    // 3,000 records of 2,400 users (600 repeats): the live worker applies them in batches of 50
    const log = makeLog(
      election,
      Array.from({ length: 3_000 }, (_, i) => ({ userId: `u${i % 2_400}`, optionId: ['a', 'b', 'c'][i % 3] as string })),
    );
    let applied = 0;
    const totals: number[] = [];
    const live = (async () => {
      for (; applied < log.length; applied += 50) {
        await tally.apply(log.slice(applied, applied + 50));
        totals.push((await tally.results(election))?.total ?? -1);
      }
    })();
    const rebuilds = (async () => {
      for (let round = 0; round < 6; round++) {
        await new Promise((r) => setTimeout(r, 15));
        // the store is half a second behind: its fold holds only what the live worker applied 500 records ago
        await tally.rebuild(election, ['a', 'b', 'c'], foldOf(log, Math.max(0, applied - 500)), new Map());
        totals.push((await tally.results(election))?.total ?? -1);
      }
    })();
    await Promise.all([live, rebuilds]);
    const expected = expectedCounts(log);
    expect(await tally.results(election)).toMatchObject({ counts: expected, total: 2_400, final: false });
    expect(totals.filter((t, i) => i > 0 && t < (totals[i - 1] as number))).toEqual([]);
    // and a reprocess once the store has caught up changes nothing
    const { before, after } = await tally.rebuild(election, ['a', 'b', 'c'], foldOf(log), new Map());
    expect(after).toEqual(before);
  }, 60_000);

  it('repairs lost writes: a missing marker is counted again, a later vote counted in place of a lost earlier one gives way', async () => {
    const election = randomName('rp');
    await tally.initElection(election, ['a', 'b', 'c']);
    const log = makeLog(
      election,
      // a user's second vote is for another option than the first
      Array.from({ length: 40 }, (_, i) => ({ userId: `u${i % 30}`, optionId: ['a', 'b', 'c'][(i + Math.floor(i / 30)) % 3] as string })),
    );
    await tally.apply(log.slice(0, 30));
    // a failover loses u1's and u20's first votes (marker and count together, as one script's effects)
    for (const v of [log[1], log[20]] as LoggedVote[]) {
      await redis.hdel(tally.keys.marker(election, v.vote.userId), v.vote.userId);
      const s = tally.keys.subShardOf(v.vote.userId);
      await redis.hincrby(tally.keys.counts(election, s), v.vote.optionId, -1);
      await redis.hincrby(tally.keys.meta(election, s), 'total', -1);
    }
    // then u1's second vote arrives and, its first one forgotten, counts
    await tally.apply(log.slice(30, 40));
    expect((await tally.results(election))?.total).toBe(29);
    const { before, after } = await tally.rebuild(election, ['a', 'b', 'c'], foldOf(log), new Map());
    expect(before.total).toBe(29);
    expect(after).toEqual({ counts: expectedCounts(log), total: 30, closeMarkers: {} });
    const u1 = await tally.receiptsOf(election, 'u1');
    expect(u1).toEqual([{ voteId: log[1]?.vote.voteId, optionId: 'b', status: 'counted' }]);
    const again = await tally.rebuild(election, ['a', 'b', 'c'], foldOf(log), new Map());
    expect(again.after).toEqual(again.before);
  });

  it('every key of the election deleted: counts, totals, markers and close markers come back; the close markers are merged, never dropped', async () => {
    const election = randomName('rp');
    await tally.initElection(election, ['a', 'b', 'c']);
    const log = makeLog(
      election,
      Array.from({ length: 50 }, (_, i) => ({ userId: `u${i % 40}`, optionId: i % 4 === 0 ? 'a' : 'b' })),
    );
    await tally.apply(log, closeMarkers(election, String(45).padStart(12, '0')));
    const intact = await tally.digest(election);
    expect(intact.total).toBe(40);
    const keys = [
      ...(await redis.keys(`urna:tally:{${election}}:*`)),
      ...(subShards > 1 ? await redis.keys(`urna:tally:{${election}.*}:*`) : []),
    ];
    await redis.del(...keys);
    const markers = new Map(Array.from({ length: 4 }, (_, p) => [p, String(45).padStart(12, '0')] as const));
    const { after } = await tally.rebuild(election, ['a', 'b', 'c'], foldOf(log), markers);
    expect(after).toEqual(intact);
    expect(await tally.closeMarkersPassed(election)).toEqual(markers);
    expect(await tally.results(election)).toMatchObject({ counts: { a: 10, b: 30, c: 0 }, total: 40 });
    // a later marker from the history does not replace the earlier one the live worker holds
    const later = new Map([[0, String(48).padStart(12, '0')]]);
    const rerun = await tally.rebuild(election, ['a', 'b', 'c'], foldOf(log), later);
    expect(rerun.after).toEqual(intact);
  });
});
