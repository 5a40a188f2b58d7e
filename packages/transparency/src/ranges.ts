/**
 * Which subtree hashes an RFC 9162 proof or root needs, as leaf ranges and as stored nodes.
 *
 * A stored node is a complete (perfect) subtree: `level` ℓ and `index` i cover the leaves
 * [i·2^ℓ, (i+1)·2^ℓ). Every range the RFC recursion asks for is either such a node or a right
 * edge [a, size) that splits into a few of them (the binary decomposition of its length), so a
 * store that keeps every complete subtree answers any proof with O(log² n) lookups and no
 * recomputation of the tree.
 */
import { splitPoint } from './hash.ts';

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** [start, end) */
export type LeafRange = readonly [number, number];

/** RFC 9162 §2.1.3.1 PATH(m, D[0:n]) as the ranges whose hashes form the proof, in proof order. */
export function inclusionRanges(m: number, n: number): LeafRange[] {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m < n)) {
    throw new RangeError(`no inclusion proof for index ${m} in a tree of size ${n}`);
  }
  const out: LeafRange[] = [];
  const walk = (idx: number, start: number, size: number): void => {
    if (size <= 1) return;
    const k = splitPoint(size);
    if (idx < k) {
      walk(idx, start, k);
      out.push([start + k, start + size]);
    } else {
      walk(idx - k, start + k, size - k);
      out.push([start, start + k]);
    }
  };
  walk(m, 0, n);
  return out;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) as ranges, in proof order. Empty when m = n or m = 0. */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m <= n)) {
    throw new RangeError(`no consistency proof from size ${m} to size ${n}`);
  }
  const out: LeafRange[] = [];
  if (m === 0 || m === n) return out;
  const sub = (mm: number, start: number, size: number, complete: boolean): void => {
    if (mm === size) {
      if (!complete) out.push([start, start + size]);
      return;
    }
    const k = splitPoint(size);
    if (mm <= k) {
      sub(mm, start, k, complete);
      out.push([start + k, start + size]);
    } else {
      sub(mm - k, start + k, size - k, false);
      out.push([start, start + k]);
    }
  };
  sub(m, 0, n, true);
  return out;
}

/**
 * The complete subtrees that make up [start, end), left to right (largest first). `start`
 * must be aligned the way RFC 9162 ranges are (a multiple of the largest power of two that
 * fits), which every range above and every [0, n) is.
 */
export function decompose(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let a = start;
  while (a < end) {
    let level = 0;
    while ((a / 2 ** (level + 1)) % 1 === 0 && a + 2 ** (level + 1) <= end) level += 1;
    nodes.push({ level, index: a / 2 ** level });
    a += 2 ** level;
  }
  return nodes;
}

export const nodeKey = (id: NodeId): string => `${id.level}:${id.index}`;
