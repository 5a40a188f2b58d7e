/** The leaf format, pseudonyms, salts and signed receipts exactly as the issue and docs state them. */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigner, verifierFromVkey } from '../src/keys.ts';
import { formatLeaf, parseLeaf, type Leaf } from '../src/leaf.ts';
import { leafSaltOf, pseudonymOf } from '../src/pseudonym.ts';
import { receiptSigningString, signReceipt, verifyReceipt } from '../src/receipt.ts';

const P = 'a'.repeat(64);
const S = '0123456789abcdef0123456789abcdef';
const vote: Leaf = {
  kind: 'vote',
  electionId: 'e-1',
  partition: 7,
  position: '000000000000000042',
  voteId: 'v1',
  pseudonym: P,
  optionId: 'cats',
  salt: S,
};

describe('leaf format v1', () => {
  it('is nine lines joined by \\n with no trailing newline; close markers carry - in the last four', () => {
    expect(formatLeaf(vote)).toBe(`urna-leaf-v1\ne-1\n7\n000000000000000042\nvote\nv1\n${P}\ncats\n${S}`);
    expect(formatLeaf({ kind: 'close', electionId: 'e-1', partition: 0, position: '9' })).toBe(
      'urna-leaf-v1\ne-1\n0\n9\nclose\n-\n-\n-\n-',
    );
  });

  it('parse ∘ format is the identity, and parse accepts only canonical text', () => {
    expect(parseLeaf(formatLeaf(vote))).toEqual(vote);
    const close: Leaf = { kind: 'close', electionId: 'e', partition: 12, position: '1-2' };
    expect(parseLeaf(formatLeaf(close))).toEqual(close);
    const text = formatLeaf(vote);
    const bad = [
      `${text}\n`,
      text.replace('urna-leaf-v1', 'urna-leaf-v2'),
      text.replace('\n7\n', '\n07\n'),
      text.replace('\nvote\n', '\nVote\n'),
      text.replace(`\n${P}\n`, `\n${P.toUpperCase()}\n`),
      text.replace(`\n${S}`, '\n-'),
      text.replace('\nv1\n', '\n-\n'),
      text.replace('\ncats\n', '\nca ts\n'),
      'urna-leaf-v1\ne\n0\n9\nclose\nv1\n-\n-\n-',
      text.replace('\r', '').replace('\n', '\r\n'),
    ];
    for (const t of bad) expect(() => parseLeaf(t), JSON.stringify(t)).toThrow();
  });

  it('format refuses fields that would break the line structure', () => {
    expect(() => formatLeaf({ ...vote, optionId: 'a\nb' })).toThrow();
    expect(() => formatLeaf({ ...vote, partition: -1 })).toThrow();
    expect(() => formatLeaf({ ...vote, salt: 'zz' })).toThrow();
  });
});

describe('pseudonyms and salts', () => {
  it('pseudonym = hex HMAC-SHA256(secret, userId)', () => {
    const secret = Buffer.from('election-secret');
    expect(pseudonymOf(secret, 'alice')).toBe(createHmac('sha256', secret).update('alice').digest('hex'));
    expect(pseudonymOf(secret, 'alice')).not.toBe(pseudonymOf(Buffer.from('other'), 'alice'));
  });

  it('the salt is 16 bytes of hex, stable per (election, vote) and different across votes', () => {
    const k = Buffer.from('salt-secret');
    expect(leafSaltOf(k, 'e', 'v1')).toMatch(/^[0-9a-f]{32}$/);
    expect(leafSaltOf(k, 'e', 'v1')).toBe(leafSaltOf(k, 'e', 'v1'));
    expect(leafSaltOf(k, 'e', 'v1')).not.toBe(leafSaltOf(k, 'e', 'v2'));
    expect(leafSaltOf(k, 'e', 'v1')).not.toBe(createHash('sha256').update('v1').digest('hex').slice(0, 32));
  });
});

describe('signed receipts', () => {
  const fields = {
    electionId: 'e-1',
    voteId: 'v1',
    pseudonym: P,
    optionId: 'cats',
    partition: 7,
    position: '000042',
    acceptedAt: 1764000000123,
  };

  it('signs the exact urna-receipt-v1 lines and verifies with the published key only', () => {
    expect(receiptSigningString(fields)).toBe(`urna-receipt-v1\ne-1\n7\n000042\nv1\n${P}\ncats\n1764000000123`);
    const signer = generateSigner('urna.example/log');
    const receipt = signReceipt(signer, fields);
    expect(Buffer.from(receipt.signature, 'base64')).toHaveLength(64);
    expect(verifyReceipt(verifierFromVkey(signer.vkey), receipt)).toBe(true);
    expect(verifyReceipt(verifierFromVkey(signer.vkey), { ...receipt, optionId: 'dogs' })).toBe(false);
    expect(verifyReceipt(verifierFromVkey(signer.vkey), { ...receipt, acceptedAt: receipt.acceptedAt + 1 })).toBe(false);
    expect(verifyReceipt(generateSigner('urna.example/log'), receipt)).toBe(false);
  });
});
