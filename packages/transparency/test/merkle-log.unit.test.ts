/**
 * The incremental tree against the RFC's recursive definition: every root, every inclusion
 * proof and every consistency proof for every size, whatever the batch split; the store's
 * conditional commit; and proofs served from storage without the leaves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafHash } from '../src/hash.ts';
import { MerkleLog } from '../src/merkle-log.ts';
import { InMemoryTreeStore, type TreeStore } from '../src/tree-store.ts';
import { verifyConsistency, verifyInclusion } from '../src/verify.ts';
import { leafHashesOf, referenceRoot, syntheticLeaves } from './reference-tree.ts';

async function appendInBatches(log: MerkleLog, hashes: readonly Buffer[], cuts: readonly number[]): Promise<void> {
  let from = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < hashes.length)].sort((a, b) => a - b).concat(hashes.length)) {
    if (cut > from) await log.append(hashes.slice(from, cut), `p${cut}`);
    from = Math.max(from, cut);
  }
}

describe('MerkleLog', () => {
  it('every root, inclusion and consistency proof up to 70 leaves matches RFC 9162 MTH/PATH/PROOF', async () => {
    const hashes = leafHashesOf(syntheticLeaves(70));
    const log = new MerkleLog(new InMemoryTreeStore(), 'all');
    await appendInBatches(log, hashes, [1, 2, 3, 7, 8, 9, 31, 33, 64]);
    const roots = Array.from({ length: 71 }, (_, n) => referenceRoot(hashes.slice(0, n)));
    for (let n = 0; n <= 70; n += 1) {
      expect((await log.root(n)).equals(roots[n] as Buffer), `root ${n}`).toBe(true);
      for (let m = 0; m < n; m += 1) {
        verifyInclusion(m, n, hashes[m] as Buffer, await log.inclusionProof(m, n), roots[n] as Buffer);
      }
      for (let m = 0; m <= n; m += 1) {
        verifyConsistency(m, n, await log.consistencyProof(m, n), roots[m] as Buffer, roots[n] as Buffer);
      }
    }
  });

  it('any batch split gives the same roots (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 12 }), async (n, cuts) => {
        const hashes = leafHashesOf(syntheticLeaves(n));
        const log = new MerkleLog(new InMemoryTreeStore(), 'split');
        await appendInBatches(log, hashes, cuts);
        expect((await log.state()).size).toBe(n);
        expect((await log.root()).equals(referenceRoot(hashes))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('stores about two nodes per leaf and serves proofs from a fresh reader on the same store', async () => {
    const store = new InMemoryTreeStore();
    const calls = { nodes: 0 };
    const counting: TreeStore = {
      state: (id) => store.state(id),
      getNodes: async (id, ids) => {
        calls.nodes += ids.length;
        return store.getNodes(id, ids);
      },
      commit: (id, c) => store.commit(id, c),
    };
    const hashes = leafHashesOf(syntheticLeaves(1000));
    const writer = new MerkleLog(counting, 't');
    let written = 0;
    const recording: TreeStore = { ...counting, commit: async (id, c) => ((written += c.nodes.length), counting.commit(id, c)) };
    const w2 = new MerkleLog(recording, 't2');
    await w2.append(hashes, 'x');
    expect(written).toBeLessThan(2 * 1000);
    await writer.append(hashes, 'x');
    const reader = new MerkleLog(counting, 't');
    calls.nodes = 0;
    const proof = await reader.inclusionProof(777, 1000);
    verifyInclusion(777, 1000, hashes[777] as Buffer, proof, referenceRoot(hashes));
    expect(calls.nodes).toBeLessThanOrEqual(2 * 10 * 10);
  });

  it('a stale second writer changes nothing (TREE_NODE_CONFLICT / TREE_SIZE_CONFLICT); after a reload it continues', async () => {
    const store = new InMemoryTreeStore();
    const a = new MerkleLog(store, 't');
    const b = new MerkleLog(store, 't');
    await a.append([leafHash('0')], 'c0');
    await b.state();
    await a.append([leafHash('1')], 'c1');
    // b's leaf 1 differs from a's: the published subtree is write-once.
    await expect(b.append([leafHash('x')], 'cx')).rejects.toMatchObject({ code: 'TREE_NODE_CONFLICT' });
    // b's leaf 1 is a's (same log): the size check stops it.
    await expect(b.append([leafHash('1')], 'cx')).rejects.toMatchObject({ code: 'TREE_SIZE_CONFLICT' });
    expect(await store.state('t')).toEqual({ size: 2, cursor: 'c1' });
    b.reload();
    const { root } = await b.append([leafHash('2')], 'c2');
    expect(root.equals(referenceRoot([leafHash('0'), leafHash('1'), leafHash('2')]))).toBe(true);
    expect((await a.root()).equals(root)).toBe(true);
  });

  it('rejects proofs beyond the committed size', async () => {
    const log = new MerkleLog(new InMemoryTreeStore(), 't');
    await log.append(leafHashesOf(syntheticLeaves(5)), 'c');
    await expect(log.root(6)).rejects.toMatchObject({ code: 'TREE_SIZE_OUT_OF_RANGE' });
    await expect(log.inclusionProof(2, 6)).rejects.toMatchObject({ code: 'TREE_SIZE_OUT_OF_RANGE' });
    await expect(log.inclusionProof(5, 5)).rejects.toThrow(RangeError);
  });
});
