/**
 * Storage port of an incremental Merkle log. A tree is identified by a string (urna uses
 * `<electionId>/<partition>`). The store keeps the hash of every complete subtree (about two
 * per leaf, 32 bytes each) and the committed size; nothing else is needed to serve roots and
 * proofs for any size up to the committed one.
 *
 * Contract (every adapter passes the contract suite in `test/tree-store.unit.test.ts`):
 * - Nodes are write-once. Writing a node that exists with the same hash is a no-op; with a
 *   different hash it throws TREE_NODE_CONFLICT and the node keeps its value. Nodes are a pure
 *   function of the leaves, so a writer that crashed after writing nodes, or lost a race, left
 *   only nodes that the next writer of the same leaves writes again byte for byte; a writer
 *   with *different* leaves at those indexes (a stale or buggy writer) cannot change a
 *   published subtree and stops with an error instead.
 * - `commit` moves the size from `expectedSize` to `newSize`, with the writer's `cursor` (e.g.
 *   the log position of its last leaf, so a projection can skip redelivered records), only if
 *   the size is still `expectedSize`; otherwise it throws TREE_SIZE_CONFLICT and size and
 *   cursor are unchanged. The size moves only after all of the commit's nodes are stored.
 * - `getNodes` returns the hashes in the order asked and throws TREE_NODE_MISSING for a node
 *   that was never written. Callers only ask for nodes below the committed size.
 * - A Redis adapter maps this to one hash per tree (`HSETNX`-style Lua: compare, write, move
 *   the size, in one script); a DynamoDB adapter to items `pk = tree`, `sk = level:index`
 *   written with `attribute_not_exists(h) OR h = :h`, then the size item updated with
 *   `ConditionExpression: size = :expected`. Both batch: one round trip per call.
 */
import { TransparencyErrors } from './errors.ts';
import { nodeKey, type NodeId } from './ranges.ts';

export interface StoredNode {
  readonly id: NodeId;
  readonly hash: Uint8Array;
}

export interface TreeState {
  readonly size: number;
  /** Opaque to the tree; '' before the first commit. */
  readonly cursor: string;
}

export interface TreeCommit {
  readonly expectedSize: number;
  readonly newSize: number;
  readonly cursor: string;
  readonly nodes: readonly StoredNode[];
}

export interface TreeStore {
  state(treeId: string): Promise<TreeState>;
  getNodes(treeId: string, ids: readonly NodeId[]): Promise<Uint8Array[]>;
  commit(treeId: string, commit: TreeCommit): Promise<void>;
}

interface MemoryTree {
  size: number;
  cursor: string;
  readonly nodes: Map<string, Uint8Array>;
}

export class InMemoryTreeStore implements TreeStore {
  readonly #trees = new Map<string, MemoryTree>();

  #tree(treeId: string): MemoryTree {
    let tree = this.#trees.get(treeId);
    if (tree === undefined) {
      tree = { size: 0, cursor: '', nodes: new Map() };
      this.#trees.set(treeId, tree);
    }
    return tree;
  }

  async state(treeId: string): Promise<TreeState> {
    const tree = this.#trees.get(treeId);
    return { size: tree?.size ?? 0, cursor: tree?.cursor ?? '' };
  }

  async getNodes(treeId: string, ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const tree = this.#tree(treeId);
    return ids.map((id) => {
      const hash = tree.nodes.get(nodeKey(id));
      if (hash === undefined) throw TransparencyErrors.nodeMissing(treeId, nodeKey(id));
      return hash;
    });
  }

  async commit(treeId: string, commit: TreeCommit): Promise<void> {
    // Atomic here (checks, then writes); adapters without multi-key atomicity rely on the
    // write-once rule above instead.
    const tree = this.#tree(treeId);
    for (const node of commit.nodes) {
      const key = nodeKey(node.id);
      const existing = tree.nodes.get(key);
      if (existing !== undefined && !Buffer.from(existing).equals(node.hash)) throw TransparencyErrors.nodeConflict(treeId, key);
    }
    if (tree.size !== commit.expectedSize) throw TransparencyErrors.sizeConflict(treeId, commit.expectedSize, tree.size);
    for (const node of commit.nodes) tree.nodes.set(nodeKey(node.id), Uint8Array.from(node.hash));
    tree.size = commit.newSize;
    tree.cursor = commit.cursor;
  }
}
