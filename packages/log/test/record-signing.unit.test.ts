import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { partitionOf, type LoggedVote, type Vote } from '@urna/domain';
import { InMemoryVoteLog, RecordSigning, signedVoteLog } from '../src/index.ts';

const vote: Vote = { voteId: 'v-1', electionId: 'e-1', userId: 'alice', optionId: 'a', acceptedAt: 1_700_000_000_000 };
const logged = (v: Vote, partition = partitionOf(v.userId, 4)): LoggedVote => ({ vote: v, partition, position: '1' });

describe('RecordSigning', () => {
  const k1 = { id: 'k1', secret: randomBytes(32) };
  const k2 = { id: 'k2', secret: randomBytes(32) };

  it('accepts its own signature and refuses any change of a signed field, the partition, or the spelling', () => {
    const signing = new RecordSigning(k1);
    const signature = signing.signVote(vote);
    expect(signature).toMatch(/^k1\.[A-Za-z0-9_-]{22}$/);
    expect(signing.verify(logged({ ...vote, signature }), 4)).toBe(true);
    for (const change of [{ optionId: 'b' }, { userId: 'bob' }, { electionId: 'e-2' }, { voteId: 'v-2' }, { acceptedAt: 1 }])
      expect(signing.verify(logged({ ...vote, ...change, signature }, partitionOf(vote.userId, 4)), 4)).toBe(false);
    expect(signing.verify(logged({ ...vote, signature }, (partitionOf(vote.userId, 4) + 1) % 4), 4)).toBe(false);
    expect(signing.verify(logged(vote), 4)).toBe(false);
    expect(signing.verify(logged({ ...vote, signature: `${signature}=` }), 4)).toBe(false);
    expect(signing.verify(logged({ ...vote, signature: signature.replace('k1.', 'k9.') }), 4)).toBe(false);
  });

  it('rotation: a new current key signs, the previous key still verifies, an unlisted key does not', () => {
    const before = new RecordSigning(k1).signVote(vote);
    const after = new RecordSigning(k2, [k1]);
    expect(after.signVote(vote)).toMatch(/^k2\./);
    expect(after.verify(logged({ ...vote, signature: before }), 4)).toBe(true);
    expect(new RecordSigning(k2).verify(logged({ ...vote, signature: before }), 4)).toBe(false);
  });

  it('refuses short keys and bad key ids', () => {
    expect(() => new RecordSigning({ id: 'k1', secret: randomBytes(16) })).toThrow(/at least 32 bytes/);
    expect(() => new RecordSigning({ id: 'k.1', secret: randomBytes(32) })).toThrow(/key id/);
  });

  it('a signed log hands unsigned records and markers to the handler as rejected, never as votes', async () => {
    const bare = new InMemoryVoteLog({ partitions: 4 });
    const log = signedVoteLog(bare, new RecordSigning(k1));
    const [mine] = await log.append([vote]);
    expect(mine?.vote).toBe(vote); // callers get their vote back, without the signature
    await bare.append([{ ...vote, voteId: 'v-forged' }]);
    await bare.appendCloseMarker('e-1');
    await log.appendCloseMarker('e-1');
    const seen = await new Promise<{ votes: string[]; markers: number; rejected: string[] }>((resolve) => {
      void log.consume({ group: 'g', consumer: 'c' }, async (votes, markers, rejected = []) => {
        resolve({
          votes: votes.map((r) => r.vote.voteId),
          markers: markers.length,
          rejected: rejected.map(({ record, reason }) => `${'vote' in record ? record.vote.voteId : 'marker'}:${reason}`),
        });
      });
    });
    await log.close();
    expect(seen.votes).toEqual(['v-1']);
    expect(seen.markers).toBe(4);
    expect(seen.rejected.sort()).toEqual(['marker:forged', 'marker:forged', 'marker:forged', 'marker:forged', 'v-forged:forged']);
  });
});
