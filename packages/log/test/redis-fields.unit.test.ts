import { describe, expect, it } from 'vitest';
import { closeMarkerFields, parseEntry, voteFields } from '../src/redis-fields.ts';

describe('Redis stream entry of a vote', () => {
  const vote = {
    voteId: '0b7f6c1e-2a8e-4f3b-9d6e-1c2b3a4d5e6f',
    electionId: 'e_1-x',
    userId: 'auth0|abc@x.org',
    optionId: 'cats',
    acceptedAt: 1_732_490_000_123,
  };

  it('round-trips through the one-field layout, ids with | included', () => {
    expect(voteFields(vote)).toHaveLength(2);
    expect(parseEntry(3, '1732490000000-5', voteFields(vote))).toEqual({ vote, partition: 3, position: '000001732490000000-0000000005' });
  });

  it('still reads entries written in the earlier five-field layout', () => {
    const old = ['i', vote.voteId, 'e', vote.electionId, 'u', vote.userId, 'o', vote.optionId, 't', String(vote.acceptedAt)];
    expect(parseEntry(0, '1-0', old)).toMatchObject({ vote });
  });

  it('round-trips a close marker, told apart from a vote', () => {
    expect(parseEntry(2, '5-1', closeMarkerFields('e_1-x', 42))).toEqual({
      marker: { electionId: 'e_1-x', closedAt: 42 },
      partition: 2,
      position: '000000000000000005-0000000001',
    });
    expect(() => parseEntry(0, '1-0', ['c', 'e\x1fnope'])).toThrow(/malformed/);
  });

  it('refuses malformed entries', () => {
    expect(() => parseEntry(0, '1-0', ['v', 'only\x1ftwo'])).toThrow(/malformed/);
    expect(() => parseEntry(0, '1-0', ['v', 'a\x1fb\x1fc\x1fd\x1fnot-a-number'])).toThrow(/malformed/);
    expect(() => parseEntry(0, '1-0', ['v', 'a\x1fb\x1fc\x1fd\x1f1\x1fsig\x1fextra'])).toThrow(/malformed/);
    expect(() => parseEntry(0, '1-0', ['c', 'e\x1f1\x1fsig\x1fextra'])).toThrow(/malformed/);
  });

  it('carries the record signature as a last value, for votes and close markers', () => {
    const signed = { ...vote, signature: 'k1.abc' };
    expect(parseEntry(3, '1-0', voteFields(signed))).toMatchObject({ vote: signed });
    expect(parseEntry(3, '1-0', closeMarkerFields('e', 7, 'k1.x'))).toMatchObject({
      marker: { electionId: 'e', closedAt: 7, signature: 'k1.x' },
    });
  });
});
