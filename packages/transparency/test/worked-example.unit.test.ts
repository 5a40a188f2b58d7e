/**
 * The worked example of docs/transparency.md (vectors/urna-worked-example.json): recomputed
 * here so the docs stay true. Key seed = SHA-256("urna docs example key"), name
 * urna.example/log; pseudonym secret "docs-election-secret"; salt secret "docs-salt-secret".
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, signCheckpoint } from '../src/checkpoint.ts';
import { leafHash, nodeHash } from '../src/hash.ts';
import { signerFromSeed, verifierFromVkey } from '../src/keys.ts';
import { formatLeaf, parseLeaf } from '../src/leaf.ts';
import { leafSaltOf, pseudonymOf } from '../src/pseudonym.ts';
import { signReceipt, verifyReceipt } from '../src/receipt.ts';
import { verifyInclusion } from '../src/verify.ts';
import example from './vectors/urna-worked-example.json' with { type: 'json' };

describe('docs/transparency.md worked example', () => {
  const signer = signerFromSeed('urna.example/log', createHash('sha256').update('urna docs example key').digest());

  it('key, leaves, hashes, root, checkpoint, proof and receipt are as documented', () => {
    expect(signer.vkey).toBe(example.vkey);
    expect(signer.publicKey.toString('base64')).toBe(example.publicKey);
    const alice = parseLeaf(example.leaves[0] as string);
    expect(alice.kind === 'vote' && alice.pseudonym).toBe(pseudonymOf(Buffer.from('docs-election-secret'), 'alice'));
    expect(alice.kind === 'vote' && alice.salt).toBe(leafSaltOf(Buffer.from('docs-salt-secret'), 'demo', 'v1'));
    expect(example.leaves.map((l) => formatLeaf(parseLeaf(l)))).toEqual(example.leaves);
    const hashes = example.leaves.map((l) => leafHash(l));
    expect(hashes.map((h) => h.toString('hex'))).toEqual(example.leafHashes);
    const root = nodeHash(nodeHash(hashes[0] as Buffer, hashes[1] as Buffer), hashes[2] as Buffer);
    expect(root.toString('base64')).toBe(example.root);
    expect(signCheckpoint({ origin: 'urna/demo/0', size: 3, root }, signer)).toBe(example.note);
    expect(openCheckpoint(example.note, [verifierFromVkey(example.vkey)], 'urna/demo/0').size).toBe(3);
    verifyInclusion(
      0,
      3,
      hashes[0] as Buffer,
      example.proof0.map((p) => Buffer.from(p, 'base64')),
      root,
    );
    const { signature, ...fields } = example.receipt;
    expect(signReceipt(signer, fields).signature).toBe(signature);
    expect(verifyReceipt(verifierFromVkey(example.vkey), example.receipt)).toBe(true);
  });
});
