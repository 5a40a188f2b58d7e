import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDynamoClient, ElectionRepository, VoteStore } from '../src/index.ts';
import { randomName } from '../../../test/helpers.ts';
import { closeMarkers, makeLog } from '../../../test/fixtures.ts';

const client = createDynamoClient({ endpoint: inject('dynamoEndpoint') });

describe.each([
  ['items', 'transact'],
  ['items', 'batch'],
  ['pages', 'batch'],
] as const)('VoteStore (%s, %s writes)', (format, mode) => {
  const store = new VoteStore({ client, format, mode, shards: 4, logPartitions: 4 });

  it('keeps every accepted vote; the first in log order per user is counted', async () => {
    const election = randomName('e');
    const log = makeLog(
      election,
      Array.from({ length: 260 }, (_, i) => ({ userId: `u${i % 200}`, optionId: i < 200 ? 'a' : 'b' })),
    );
    await store.write(log);
    const { entries, ...tally } = await store.tally(election);
    expect(tally).toEqual({ counts: { a: 200 }, total: 200, accepted: 260, duplicates: 60, afterClose: 0, forged: 0 });
    expect(entries.reduce((a, b) => a + b, 0)).toBe(260); // every record, in the partition it was logged to
    const receipts = await store.receiptsOf(election, 'u7');
    expect(receipts).toEqual([
      { voteId: log[7]!.vote.voteId, optionId: 'a', status: 'counted' },
      { voteId: log[207]!.vote.voteId, optionId: 'b', status: 'rejected', reason: 'duplicate' },
    ]);
  });

  it("votes after their partition's close marker are kept as after-close, never counted; the smallest marker rules", async () => {
    const election = randomName('e');
    const log = makeLog(
      election,
      Array.from({ length: 60 }, (_, i) => ({ userId: `u${i % 40}`, optionId: i < 40 ? 'a' : 'b' })),
    );
    // marker just after position 45: u0…u39 counted, positions 40…45 duplicates (u0…u5 again), 46…59 after close
    await store.write(log.slice(30), closeMarkers(election, '000000000045'));
    await store.write(log.slice(0, 30), closeMarkers(election, '000000000050')); // a second, later marker changes nothing
    const { entries, ...tally } = await store.tally(election);
    expect(tally).toEqual({ counts: { a: 40 }, total: 40, accepted: 60, duplicates: 6, afterClose: 14, forged: 0 });
    expect(entries).toEqual(Array.from({ length: 4 }, (_, p) => log.filter((r) => r.partition === p).length));
    expect((await store.receiptsOf(election, 'u10')).map((r) => r.reason ?? r.status)).toEqual(['counted', 'after-close']);
    expect([...(await store.closeMarkers(election)).values()]).toEqual(Array(4).fill('000000000045'));
  });

  it('rewriting the same batch (redelivery), even reversed, changes nothing', async () => {
    const election = randomName('e');
    const log = makeLog(
      election,
      Array.from({ length: 120 }, (_, i) => ({ userId: `u${i % 90}`, optionId: i % 2 ? 'a' : 'b' })),
    );
    await store.write(log);
    const before = await store.tally(election);
    await store.write([...log].reverse());
    await store.write(log.concat(log)); // duplicates inside one call are written once
    expect(await store.tally(election)).toEqual(before);
  });
});

describe('ElectionRepository', () => {
  const repo = new ElectionRepository(client);
  const draft = (id: string) => ({
    id,
    title: 'T',
    options: [
      { id: 'a', label: 'A' },
      { id: 'b', label: 'B' },
    ],
    status: 'draft' as const,
    createdAt: new Date().toISOString(),
  });

  it('creates once, then moves draft → open → closed and refuses anything else', async () => {
    const id = randomName('e');
    await repo.create(draft(id));
    await expect(repo.create(draft(id))).rejects.toMatchObject({ code: 'ELECTION_EXISTS', status: 409 });
    await expect(repo.transition(id, 'close')).rejects.toMatchObject({ code: 'INVALID_TRANSITION', status: 409 });
    expect((await repo.transition(id, 'open')).status).toBe('open');
    await expect(repo.transition(id, 'open')).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    const closed = await repo.transition(id, 'close');
    expect(closed.status).toBe('closed');
    expect(closed.closedAt).toBeDefined();
    await expect(repo.transition(randomName('missing'), 'open')).rejects.toMatchObject({ code: 'ELECTION_NOT_FOUND', status: 404 });
  });
});
