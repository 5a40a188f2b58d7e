/**
 * Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency)
 * describe it. Sizes and indexes are plain numbers (safe integers); every hash must be
 * 32 bytes, so garbage of another length never verifies.
 */
import { HASH_SIZE, isPowerOfTwo, nodeHash } from './hash.ts';

export class ProofError extends Error {
  override readonly name = 'ProofError';
}

const half = (x: number): number => Math.floor(x / 2);
const odd = (x: number): boolean => x % 2 === 1;

function checkHashes(what: string, hashes: readonly Uint8Array[]): void {
  for (const [i, h] of hashes.entries()) {
    if (h.length !== HASH_SIZE) throw new ProofError(`${what}[${i}] is ${h.length} bytes, not ${HASH_SIZE}`);
  }
}

/** The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-5). Throws ProofError. */
export function rootFromInclusionProof(leafIndex: number, treeSize: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Buffer {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) {
    throw new ProofError(`leaf index ${leafIndex} is not in a tree of size ${treeSize}`);
  }
  checkHashes('leaf hash', [leafHash]);
  checkHashes('proof', proof);
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) throw new ProofError('inclusion proof is too long');
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('inclusion proof is too short');
  return r;
}

export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHashes('root', [root]);
  const computed = rootFromInclusionProof(leafIndex, treeSize, leafHash, proof);
  if (!computed.equals(root)) throw new ProofError('inclusion proof does not lead to the root');
}

/**
 * RFC 9162 §2.1.4.2. A tree of size 0 is consistent with every tree (the proof must be empty);
 * equal sizes need equal roots and an empty proof.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) {
    throw new ProofError(`no consistency from size ${size1} to size ${size2}`);
  }
  if (size1 === size2) {
    if (proof.length > 0) throw new ProofError('equal sizes need an empty proof');
    if (!Buffer.from(root1).equals(root2)) throw new ProofError('equal sizes with different roots');
    return;
  }
  if (size1 === 0) {
    if (proof.length > 0) throw new ProofError('a proof from the empty tree must be empty');
    return;
  }
  if (proof.length === 0) throw new ProofError('consistency proof is empty');
  checkHashes('proof', proof);
  checkHashes('root', [root1, root2]);
  const path: Uint8Array[] = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(fr);
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError('consistency proof is too long');
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('consistency proof is too short');
  if (!fr.equals(root1)) throw new ProofError('consistency proof does not lead to the first root');
  if (!sr.equals(root2)) throw new ProofError('consistency proof does not lead to the second root');
}
