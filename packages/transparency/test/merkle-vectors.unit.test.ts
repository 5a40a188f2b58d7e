/**
 * RFC 9162 hashing and proofs against the published transparency-dev/merkle vectors (see
 * vectors/README.md), including the broken proofs of testdata/ and the same corruptions its
 * verify_test.go applies.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash, nodeHash } from '../src/hash.ts';
import { InMemoryTreeStore } from '../src/tree-store.ts';
import { MerkleLog } from '../src/merkle-log.ts';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../src/verify.ts';
import vectors from './vectors/transparency-dev-merkle.json' with { type: 'json' };

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const someHash = hex(vectors.sha256SomeHash);
const emptyTreeHash = hex(vectors.sha256EmptyTreeHash);
const leaves = vectors.leaves.map(hex);
const roots = vectors.roots.map(hex);

const passes = (fn: () => void): boolean => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

async function vectorLog(n: number): Promise<MerkleLog> {
  const log = new MerkleLog(new InMemoryTreeStore(), 'vectors');
  await log.append(
    leaves.slice(0, n).map((l) => leafHash(l)),
    String(n),
  );
  return log;
}

interface InclusionProbe {
  readonly index: number;
  readonly size: number;
  readonly root: Uint8Array;
  readonly leaf: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly desc: string;
}

/** The corruptions of verify_test.go's corruptInclusionProof, each of which must fail. */
function corruptInclusion(index: number, size: number, proof: Buffer[], root: Buffer, leaf: Buffer): InclusionProbe[] {
  const probes: InclusionProbe[] = [
    { index: index - 1, size, root, leaf, proof, desc: 'leafIndex - 1' },
    { index: index + 1, size, root, leaf, proof, desc: 'leafIndex + 1' },
    { index: index ^ 2, size, root, leaf, proof, desc: 'leafIndex ^ 2' },
    { index, size: size * 2, root, leaf, proof, desc: 'treeSize * 2' },
    { index, size: Math.floor(size / 2), root, leaf, proof, desc: 'treeSize / 2' },
    { index, size, root, leaf: Buffer.from('WrongLeaf'), proof, desc: 'wrong leaf' },
    { index, size, root: emptyTreeHash, leaf, proof, desc: 'empty root' },
    { index, size, root: someHash, leaf, proof, desc: 'random root' },
    { index, size, root, leaf, proof: [...proof, Buffer.alloc(0)], desc: 'trailing garbage' },
    { index, size, root, leaf, proof: [...proof, root], desc: 'trailing root' },
    { index, size, root, leaf, proof: [Buffer.alloc(0), ...proof], desc: 'preceding garbage' },
    { index, size, root, leaf, proof: [root, ...proof], desc: 'preceding root' },
  ];
  proof.forEach((_, i) => {
    const wrong = proof.map((p) => Buffer.from(p));
    const w = wrong[i] as Buffer;
    w.writeUInt8((w[0] as number) ^ 8, 0);
    probes.push({ index, size, root, leaf, proof: wrong, desc: `modified proof[${i}] bit 3` });
  });
  if (proof.length > 0) probes.push({ index, size, root, leaf, proof: proof.slice(0, -1), desc: 'removed component' });
  if (proof.length > 1) {
    probes.push({ index, size, root, leaf, proof: [proof[0] as Buffer, someHash, ...proof.slice(1)], desc: 'inserted component' });
  }
  return probes;
}

interface ConsistencyProbe {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly desc: string;
}

/** The corruptions of verify_test.go's corruptConsistencyProof. */
function corruptConsistency(size1: number, size2: number, root1: Buffer, root2: Buffer, proof: Buffer[]): ConsistencyProbe[] {
  const wrongRoot = Buffer.from('WrongRoot');
  const probes: ConsistencyProbe[] = [
    { size1: size1 - 1, size2, root1, root2, proof, desc: 'size1 - 1' },
    { size1: size1 + 1, size2, root1, root2, proof, desc: 'size1 + 1' },
    { size1: size1 ^ 2, size2, root1, root2, proof, desc: 'size1 ^ 2' },
    { size1, size2: size2 * 2, root1, root2, proof, desc: 'size2 * 2' },
    { size1, size2: Math.floor(size2 / 2), root1, root2, proof, desc: 'size2 / 2' },
    { size1, size2, root1: wrongRoot, root2, proof, desc: 'wrong root1' },
    { size1, size2, root1, root2: wrongRoot, proof, desc: 'wrong root2' },
    { size1, size2, root1: root2, root2: root1, proof, desc: 'swapped roots' },
    { size1, size2, root1, root2, proof: [], desc: 'empty proof' },
    { size1, size2, root1, root2, proof: [...proof, Buffer.alloc(0)], desc: 'trailing garbage' },
    { size1, size2, root1, root2, proof: [...proof, root1], desc: 'trailing root1' },
    { size1, size2, root1, root2, proof: [...proof, root2], desc: 'trailing root2' },
    { size1, size2, root1, root2, proof: [Buffer.alloc(0), ...proof], desc: 'preceding garbage' },
    { size1, size2, root1, root2, proof: [root1, ...proof], desc: 'preceding root1' },
    { size1, size2, root1, root2, proof: [root2, ...proof], desc: 'preceding root2' },
    { size1, size2, root1, root2, proof: [proof[0] as Buffer, ...proof], desc: 'preceding proof[0]' },
  ];
  if (proof.length > 0) probes.push({ size1, size2, root1, root2, proof: proof.slice(0, -1), desc: 'truncated proof' });
  proof.forEach((_, i) => {
    const wrong = proof.map((p) => Buffer.from(p));
    const w = wrong[i] as Buffer;
    w.writeUInt8((w[0] as number) ^ 16, 0);
    probes.push({ size1, size2, root1, root2, proof: wrong, desc: `modified proof[${i}] bit 4` });
  });
  return probes;
}

describe('RFC 9162 hashing (rfc6962_test.go)', () => {
  it('matches the empty root, empty leaf, leaf and node vectors', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(vectors.hasher.emptyRoot);
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(vectors.hasher.emptyLeaf);
    expect(leafHash(Buffer.from('L123456')).toString('hex')).toBe(vectors.hasher.leafL123456);
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe(vectors.hasher.nodeN123N456);
  });
});

describe('tree heads (verify_test.go roots)', () => {
  it('the incremental tree gives the published root for every size 1..8, appended one by one', async () => {
    const log = new MerkleLog(new InMemoryTreeStore(), 'one-by-one');
    for (let n = 1; n <= 8; n += 1) {
      const { root } = await log.append([leafHash(leaves[n - 1] as Buffer)], String(n));
      expect(root.toString('hex')).toBe(vectors.roots[n - 1]);
    }
    for (let n = 1; n <= 8; n += 1) expect((await log.root(n)).toString('hex')).toBe(vectors.roots[n - 1]);
    expect((await log.root(0)).equals(EMPTY_ROOT)).toBe(true);
  });
});

describe('inclusion proofs (verify_test.go inclusionProofs)', () => {
  for (const v of vectors.inclusionProofs.filter((p) => p.size > 0)) {
    it(`leaf ${v.leaf - 1} of ${v.size}: generated = published, verifies, and every corruption fails`, async () => {
      const log = await vectorLog(v.size);
      const proof = await log.inclusionProof(v.leaf - 1, v.size);
      expect(proof.map((p) => p.toString('hex'))).toEqual(v.proof);
      const lh = leafHash(leaves[v.leaf - 1] as Buffer);
      const root = roots[v.size - 1] as Buffer;
      expect(rootFromInclusionProof(v.leaf - 1, v.size, lh, proof).equals(root)).toBe(true);
      verifyInclusion(v.leaf - 1, v.size, lh, proof, root);
      const accepted = corruptInclusion(v.leaf - 1, v.size, proof, root, lh).filter((p) =>
        passes(() => verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root)),
      );
      expect(accepted.map((p) => p.desc)).toEqual([]);
    });
  }

  it('rejects degenerate index/size pairs and wrong-size hashes (TestVerifyInclusion, SingleEntry)', () => {
    for (const [index, size] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [2, 1],
    ] as const) {
      expect(passes(() => verifyInclusion(index, size, someHash, [], Buffer.alloc(0)))).toBe(false);
      expect(passes(() => verifyInclusion(index, size, Buffer.alloc(0), [], emptyTreeHash))).toBe(false);
      expect(passes(() => verifyInclusion(index, size, someHash, [], emptyTreeHash))).toBe(false);
    }
    const hash = leafHash(Buffer.from('data'));
    expect(passes(() => verifyInclusion(0, 1, hash, [], hash))).toBe(true);
    expect(passes(() => verifyInclusion(0, 1, Buffer.alloc(0), [], hash))).toBe(false);
    expect(passes(() => verifyInclusion(0, 1, hash, [], Buffer.alloc(0)))).toBe(false);
    expect(passes(() => verifyInclusion(0, 1, Buffer.alloc(0), [], Buffer.alloc(0)))).toBe(false);
  });
});

describe('consistency proofs (verify_test.go consistencyProofs)', () => {
  for (const v of vectors.consistencyProofs) {
    it(`${v.size1} → ${v.size2}: generated = published, verifies, and every corruption fails`, async () => {
      const log = await vectorLog(v.size2);
      const proof = await log.consistencyProof(v.size1, v.size2);
      expect(proof.map((p) => p.toString('hex'))).toEqual(v.proof);
      const root1 = roots[v.size1 - 1] as Buffer;
      const root2 = roots[v.size2 - 1] as Buffer;
      verifyConsistency(v.size1, v.size2, proof, root1, root2);
      if (proof.length === 0) return;
      const accepted = corruptConsistency(v.size1, v.size2, root1, root2, proof).filter((p) =>
        passes(() => verifyConsistency(p.size1, p.size2, p.proof, p.root1, p.root2)),
      );
      expect(accepted.map((p) => p.desc)).toEqual([]);
    });
  }

  it('handles the edge cases of TestVerifyConsistency', () => {
    const r1 = Buffer.from("don't care 1");
    const r2 = Buffer.from("don't care 2");
    const cases: Array<[number, number, Buffer, Buffer, Buffer[], boolean]> = [
      [0, 0, r1, r2, [], true],
      [1, 1, r1, r2, [], true],
      [0, 0, r1, r1, [], false],
      [0, 1, r1, r2, [], false],
      [1, 1, r2, r2, [], false],
      [1, 0, r1, r2, [], true],
      [2, 1, r1, r2, [], true],
      [1, 2, r1, r2, [], true],
      [0, 0, emptyTreeHash, r2, [], true],
      [1, 1, emptyTreeHash, r2, [], true],
      [0, 0, emptyTreeHash, emptyTreeHash, [emptyTreeHash], true],
      [0, 1, emptyTreeHash, emptyTreeHash, [emptyTreeHash], true],
      [1, 1, emptyTreeHash, emptyTreeHash, [emptyTreeHash], true],
    ];
    for (const [s1, s2, a, b, proof, wantErr] of cases) {
      expect(
        passes(() => verifyConsistency(s1, s2, proof, a, b)),
        `${s1}→${s2}`,
      ).toBe(!wantErr);
    }
  });
});

describe('testdata/ files (cmd/proofgen output, verbatim)', () => {
  for (const [path, v] of Object.entries(vectors.files)) {
    it(`${path}: ${v.desc} → ${v.wantErr ? 'rejected' : 'accepted'}`, () => {
      const ok =
        'leafIdx' in v
          ? passes(() => verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), v.proof.map(b64), b64(v.root)))
          : passes(() => verifyConsistency(v.size1, v.size2, v.proof.map(b64), b64(v.root1), b64(v.root2)));
      expect(ok).toBe(!v.wantErr);
    });
  }
});
