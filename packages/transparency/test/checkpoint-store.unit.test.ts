/** Publishing checkpoints: never two roots for one size, never a fork of a published root. */
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/checkpoint.ts';
import { InMemoryCheckpointStore, publishCheckpoint } from '../src/checkpoint-store.ts';
import { leafHash } from '../src/hash.ts';
import { generateSigner } from '../src/keys.ts';
import { MerkleLog } from '../src/merkle-log.ts';
import { InMemoryTreeStore } from '../src/tree-store.ts';
import { verifyConsistency } from '../src/verify.ts';

const leaves = (from: number, to: number): Buffer[] => Array.from({ length: to - from }, (_, i) => leafHash(`l${from + i}`));

describe('publishCheckpoint', () => {
  it('publishes a signed, consistent chain and does not re-sign an unchanged size', async () => {
    const signer = generateSigner('urna.example/log');
    const store = new InMemoryCheckpointStore();
    const log = new MerkleLog(new InMemoryTreeStore(), 'e/0');
    await log.append(leaves(0, 5), 'a');
    const first = await publishCheckpoint(log, store, signer, 'e', 0);
    expect(await publishCheckpoint(log, store, signer, 'e', 0)).toBe(first);
    await log.append(leaves(5, 13), 'b');
    const second = await publishCheckpoint(log, store, signer, 'e', 0);
    const cp = openCheckpoint(second.note, [signer], 'urna/e/0');
    expect(cp.size).toBe(13);
    verifyConsistency(5, 13, await log.consistencyProof(5, 13), first.root, cp.root);
    expect((await store.atSize('e/0', 5))?.note).toBe(first.note);
  });

  it('refuses to sign a root that does not extend the published one (a forked tree)', async () => {
    const signer = generateSigner('urna.example/log');
    const store = new InMemoryCheckpointStore();
    const honest = new MerkleLog(new InMemoryTreeStore(), 'e/1');
    await honest.append(leaves(0, 4), 'a');
    await publishCheckpoint(honest, store, signer, 'e', 1);
    const forked = new MerkleLog(new InMemoryTreeStore(), 'e/1');
    await forked.append([...leaves(0, 3), leafHash('other'), ...leaves(4, 6)], 'b');
    await expect(publishCheckpoint(forked, store, signer, 'e', 1)).rejects.toThrow(/consistency proof does not lead/);
    expect((await store.latest('e/1'))?.size).toBe(4);
  });

  it('a racing publisher loses with CHECKPOINT_CONFLICT instead of signing a second note', async () => {
    const store = new InMemoryCheckpointStore();
    const signer = generateSigner('urna.example/log');
    const root = Buffer.alloc(32);
    await store.publish('t', { size: 1, root, note: 'n1' }, undefined);
    await expect(store.publish('t', { size: 2, root, note: 'n2' }, undefined)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFLICT' });
    await store.publish('t', { size: 2, root, note: 'n2' }, 1);
    expect((await store.latest('t'))?.note).toBe('n2');
    expect(signer.name).toBe('urna.example/log');
  });
});
