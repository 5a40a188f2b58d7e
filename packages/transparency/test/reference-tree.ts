/** RFC 9162 §2.1.1 MTH, written as the RFC states it (recursive, no storage): the oracle. */
import { EMPTY_ROOT, leafHash, nodeHash, splitPoint } from '../src/hash.ts';

export function referenceRoot(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) return leafHashes[0] as Buffer;
  const k = splitPoint(leafHashes.length);
  return nodeHash(referenceRoot(leafHashes.slice(0, k)), referenceRoot(leafHashes.slice(k)));
}

export const leafHashesOf = (leaves: readonly Uint8Array[]): Buffer[] => leaves.map((l) => leafHash(l));

/** n distinct leaves "leaf-0" … */
export const syntheticLeaves = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`leaf-${i}`));
