/**
 * An append-only RFC 9162 Merkle tree over a TreeStore: appends leaf hashes in batches,
 * keeps the compact range (the right-edge complete subtrees) in memory, and serves roots,
 * inclusion proofs and consistency proofs for any size up to the committed one from stored
 * subtree hashes, without recomputing the tree.
 *
 * One writer per tree (the projection that owns the partition). A second writer, or a writer
 * whose cache went stale, gets TREE_SIZE_CONFLICT from the store and reloads.
 */
import { isUrnaError } from '@urna/domain';
import { TransparencyErrors } from './errors.ts';
import { EMPTY_ROOT, nodeHash } from './hash.ts';
import { consistencyRanges, decompose, inclusionRanges, nodeKey, type LeafRange, type NodeId } from './ranges.ts';
import type { StoredNode, TreeState, TreeStore } from './tree-store.ts';

export interface AppendResult {
  readonly size: number;
  readonly root: Buffer;
}

export class MerkleLog {
  readonly #store: TreeStore;
  readonly treeId: string;
  /** Compact range of the committed tree: frontier[level] = hash of the complete subtree at that level, if any. */
  #frontier: Array<Buffer | undefined> | undefined;
  #state: TreeState | undefined;

  constructor(store: TreeStore, treeId: string) {
    this.#store = store;
    this.treeId = treeId;
  }

  /** The committed size and cursor (read from the store the first time, then cached). */
  async state(): Promise<TreeState> {
    await this.#load();
    return this.#state as TreeState;
  }

  /** Forget the cache (after a conflict, or to pick up another writer's commits). */
  reload(): void {
    this.#frontier = undefined;
    this.#state = undefined;
  }

  async #load(): Promise<void> {
    if (this.#state !== undefined && this.#frontier !== undefined) return;
    const state = await this.#store.state(this.treeId);
    const ids = decompose(0, state.size);
    const hashes = await this.#store.getNodes(this.treeId, ids);
    const frontier: Array<Buffer | undefined> = [];
    ids.forEach((id, i) => {
      frontier[id.level] = Buffer.from(hashes[i] as Uint8Array);
    });
    this.#frontier = frontier;
    this.#state = state;
  }

  /**
   * Appends leaf hashes (already RFC 9162 leaf hashes) and commits them with `cursor`.
   * Writes each new complete subtree once. On TREE_SIZE_CONFLICT the cache is dropped and
   * the error rethrown: the caller re-reads `state()` and skips what is already in.
   */
  async append(leafHashes: readonly Uint8Array[], cursor: string): Promise<AppendResult> {
    await this.#load();
    const start = (this.#state as TreeState).size;
    const frontier = [...(this.#frontier as Array<Buffer | undefined>)];
    const nodes: StoredNode[] = [];
    let size = start;
    for (const leaf of leafHashes) {
      let hash: Buffer = Buffer.from(leaf);
      let level = 0;
      let index = size;
      nodes.push({ id: { level, index }, hash });
      while (index % 2 === 1) {
        hash = nodeHash(frontier[level] as Buffer, hash);
        frontier[level] = undefined;
        level += 1;
        index = (index - 1) / 2;
        nodes.push({ id: { level, index }, hash });
      }
      frontier[level] = hash;
      size += 1;
    }
    try {
      await this.#store.commit(this.treeId, { expectedSize: start, newSize: size, cursor, nodes });
    } catch (error) {
      if (isUrnaError(error) && error.code === 'TREE_SIZE_CONFLICT') this.reload();
      throw error;
    }
    this.#frontier = frontier;
    this.#state = { size, cursor };
    return { size, root: foldFrontier(frontier) };
  }

  async root(size?: number): Promise<Buffer> {
    const n = await this.#checkSize(size);
    if (n === 0) return Buffer.from(EMPTY_ROOT);
    const [root] = await this.#rangeHashes([[0, n]]);
    return root as Buffer;
  }

  async inclusionProof(leafIndex: number, treeSize: number): Promise<Buffer[]> {
    await this.#checkSize(treeSize);
    return this.#rangeHashes(inclusionRanges(leafIndex, treeSize));
  }

  async consistencyProof(size1: number, size2: number): Promise<Buffer[]> {
    await this.#checkSize(size2);
    return this.#rangeHashes(consistencyRanges(size1, size2));
  }

  async #checkSize(size: number | undefined): Promise<number> {
    const committed = (await this.#freshState()).size;
    const n = size ?? committed;
    if (!Number.isSafeInteger(n) || n < 0 || n > committed) throw TransparencyErrors.sizeOutOfRange(this.treeId, n, committed);
    return n;
  }

  /** Readers may run in another process than the writer: they read the size every time. */
  async #freshState(): Promise<TreeState> {
    const state = await this.#store.state(this.treeId);
    if (this.#state !== undefined && state.size !== this.#state.size) this.reload();
    return state;
  }

  /** Hashes of the ranges, fetching every complete subtree involved in one getNodes call. */
  async #rangeHashes(ranges: readonly LeafRange[]): Promise<Buffer[]> {
    const parts = ranges.map(([a, b]) => decompose(a, b));
    const unique = new Map<string, NodeId>();
    for (const ids of parts) for (const id of ids) unique.set(nodeKey(id), id);
    const ids = [...unique.values()];
    const hashes = await this.#store.getNodes(this.treeId, ids);
    const byKey = new Map<string, Uint8Array>();
    ids.forEach((id, i) => byKey.set(nodeKey(id), hashes[i] as Uint8Array));
    return parts.map((nodes) => {
      let acc: Buffer = Buffer.from(byKey.get(nodeKey(nodes[nodes.length - 1] as NodeId)) as Uint8Array);
      for (let i = nodes.length - 2; i >= 0; i -= 1) acc = nodeHash(byKey.get(nodeKey(nodes[i] as NodeId)) as Uint8Array, acc);
      return acc;
    });
  }
}

/** Root of a compact range: fold the complete subtrees from the smallest (rightmost) up. */
function foldFrontier(frontier: ReadonlyArray<Buffer | undefined>): Buffer {
  let root: Buffer | undefined;
  for (const hash of frontier) {
    if (hash === undefined) continue;
    root = root === undefined ? hash : nodeHash(hash, root);
  }
  return root ?? Buffer.from(EMPTY_ROOT);
}
