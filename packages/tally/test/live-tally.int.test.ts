import { afterAll, describe, expect, it } from 'vitest';
import { LiveTally } from '../src/index.ts';
import { randomName, testRedis } from '../../../test/helpers.ts';
import { closeMarkers, makeLog } from '../../../test/fixtures.ts';

const redis = testRedis();
const tally = new LiveTally({ redis, buckets: 64 });
afterAll(() => redis.disconnect());

describe('LiveTally', () => {
  it('counts the first vote of each user and publishes one version per changing batch', async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a', 'b', 'c']);
    const sub = redis.duplicate();
    const versions: string[] = [];
    await sub.subscribe(tally.keys.channel(election));
    sub.on('message', (_channel, message: string) => versions.push(message));
    const log = makeLog(election, [
      { userId: 'u1', optionId: 'a' },
      { userId: 'u2', optionId: 'b' },
      { userId: 'u1', optionId: 'c' },
      { userId: 'u3', optionId: 'a' },
    ]);
    const summary = await tally.apply(log);
    expect(summary).toEqual({ counted: 3, duplicates: 1, replaced: 0, redelivered: 0, afterClose: 0 });
    expect(await tally.results(election)).toEqual({
      electionId: election,
      counts: { a: 2, b: 1, c: 0 },
      total: 3,
      version: 1,
      final: false,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(versions).toEqual(['1']);
    sub.disconnect();
  });

  it('a redelivered batch changes nothing, not even the version', async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a', 'b']);
    const log = makeLog(
      election,
      Array.from({ length: 50 }, (_, i) => ({ userId: `u${i % 40}`, optionId: i % 3 === 0 ? 'a' : 'b' })),
    );
    await tally.apply(log);
    const before = await tally.results(election);
    const again = await tally.apply(log);
    expect(again).toEqual({ counted: 0, duplicates: 10, replaced: 0, redelivered: 40, afterClose: 0 });
    expect(await tally.results(election)).toEqual(before);
  });

  it('an earlier vote delivered after a later one takes its place (first in log order wins)', async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a', 'b']);
    const [first, second] = makeLog(election, [
      { userId: 'u1', optionId: 'a' },
      { userId: 'u1', optionId: 'b' },
    ]);
    await tally.apply([second!]);
    expect((await tally.results(election))?.counts).toEqual({ a: 0, b: 1 });
    const summary = await tally.apply([first!]);
    expect(summary.replaced).toBe(1);
    expect(await tally.results(election)).toMatchObject({ counts: { a: 1, b: 0 }, total: 1 });
  });

  it('receipts show pending before the tally applies a vote, then counted and rejected', async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a', 'b']);
    const log = makeLog(election, [
      { userId: 'u1', optionId: 'a' },
      { userId: 'u1', optionId: 'b' },
    ]);
    await tally.recordReceipts(log);
    await tally.recordReceipts(log); // idempotent
    expect((await tally.receiptsOf(election, 'u1')).map((r) => r.status)).toEqual(['pending', 'pending']);
    await tally.apply(log);
    expect(await tally.receiptsOf(election, 'u1')).toEqual([
      { voteId: log[0]!.vote.voteId, optionId: 'a', status: 'counted' },
      { voteId: log[1]!.vote.voteId, optionId: 'b', status: 'rejected', reason: 'duplicate' },
    ]);
    expect(await tally.receiptsOf(election, 'nobody')).toEqual([]);
  });

  it("keeps at most 32 receipts per user per election, so one voter's list cannot grow without bound", async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a', 'b']);
    const log = makeLog(
      election,
      Array.from({ length: 200 }, () => ({ userId: 'repeater', optionId: 'a' })),
    );
    for (let i = 0; i < log.length; i += 10) await tally.recordReceipts(log.slice(i, i + 10));
    const receipts = await tally.receiptsOf(election, 'repeater');
    expect(receipts).toHaveLength(32);
    expect(receipts.map((r) => r.voteId)).toEqual(log.slice(0, 32).map((l) => l.vote.voteId));
    expect(await redis.hstrlen(tally.keys.receipts(election, 'repeater'), 'repeater')).toBeLessThan(32 * 120);
  });

  it("a vote after its partition's close marker is rejected after-close, in the same batch or later; the smallest marker rules", async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a', 'b']);
    // u1…u8 vote before the close; every partition gets a marker at position 100; then u1 votes again
    // and u9 votes for the first time, both after the marker
    const before = makeLog(
      election,
      Array.from({ length: 8 }, (_, i) => ({ userId: `u${i + 1}`, optionId: 'a' })),
    );
    const markers = closeMarkers(election, '000000000100');
    const late = makeLog(election, [
      { userId: 'u1', optionId: 'b' },
      { userId: 'u9', optionId: 'b' },
    ]).map((r, i) => ({ ...r, position: String(200 + i).padStart(12, '0') }));
    await tally.recordReceipts([...before, ...late]);
    const summary = await tally.apply([...before.slice(4), ...late], markers); // markers apply first whatever the batch order
    expect(summary).toMatchObject({ counted: 4, afterClose: 2 });
    await tally.apply(before.slice(0, 4), closeMarkers(election, '000000000150')); // a later second marker changes nothing
    expect(await tally.results(election)).toMatchObject({ counts: { a: 8, b: 0 }, total: 8 });
    expect(await tally.receiptsOf(election, 'u9')).toEqual([
      { voteId: late[1]!.vote.voteId, optionId: 'b', status: 'rejected', reason: 'after-close' },
    ]);
    expect((await tally.receiptsOf(election, 'u1')).map((r) => r.reason ?? r.status)).toEqual(['counted', 'after-close']);
    expect([...(await tally.closeMarkersPassed(election)).keys()].sort()).toEqual([0, 1, 2, 3]);
  });

  it('reloads its scripts after the server forgot them (SCRIPT FLUSH, as after a restart)', async () => {
    const election = randomName('e');
    await tally.initElection(election, ['a']);
    await redis.script('FLUSH');
    await tally.apply(makeLog(election, [{ userId: 'u1', optionId: 'a' }]));
    expect((await tally.results(election))?.total).toBe(1);
  });
});
