/**
 * TreeStore on Redis: per tree, one hash of node hashes (field "level:index", 32 binary bytes)
 * and one state string "<size>|<cursor>", both under the hash tag {<treeId>} so a tree is one
 * cluster slot while an election's partitions spread over slots. A commit is one EVALSHA of
 * lua/commitTree-2.lua (atomic: write-once check, size check, writes); reads are one GET or
 * one HMGET. Imported as `@urna/transparency/redis` so the core package stays node:crypto only.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { TransparencyErrors } from './errors.ts';
import { nodeKey, type NodeId } from './ranges.ts';
import type { TreeCommit, TreeState, TreeStore } from './tree-store.ts';

const COMMIT_TREE = readFileSync(new URL('../lua/commitTree-2.lua', import.meta.url), 'utf8');

export interface RedisTreeKeys {
  readonly nodes: string;
  readonly state: string;
}

export const redisTreeKeys = (prefix: string, treeId: string): RedisTreeKeys => ({
  nodes: `${prefix}:{${treeId}}:nodes`,
  state: `${prefix}:{${treeId}}:state`,
});

export class RedisTreeStore implements TreeStore {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  #sha: string | undefined;

  constructor(redis: Redis | Cluster, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'urna:tlog';
  }

  async state(treeId: string): Promise<TreeState> {
    const raw = await this.#redis.get(redisTreeKeys(this.#prefix, treeId).state);
    if (raw === null) return { size: 0, cursor: '' };
    const bar = raw.indexOf('|');
    return { size: Number(raw.slice(0, bar)), cursor: raw.slice(bar + 1) };
  }

  async getNodes(treeId: string, ids: readonly NodeId[]): Promise<Uint8Array[]> {
    if (ids.length === 0) return [];
    const fields = ids.map(nodeKey);
    const values = await this.#redis.hmgetBuffer(redisTreeKeys(this.#prefix, treeId).nodes, ...fields);
    return values.map((value, i) => {
      if (value === null) throw TransparencyErrors.nodeMissing(treeId, fields[i] as string);
      return value;
    });
  }

  async commit(treeId: string, commit: TreeCommit): Promise<void> {
    const keys = redisTreeKeys(this.#prefix, treeId);
    const args: Array<string | Buffer> = [String(commit.expectedSize), String(commit.newSize), commit.cursor];
    for (const node of commit.nodes) args.push(nodeKey(node.id), Buffer.from(node.hash));
    const [code, detail] = (await this.#eval([keys.nodes, keys.state], args)) as [string, string];
    if (code === 'TREE_NODE_CONFLICT') throw TransparencyErrors.nodeConflict(treeId, detail);
    if (code === 'TREE_SIZE_CONFLICT') throw TransparencyErrors.sizeConflict(treeId, commit.expectedSize, Number(detail));
  }

  /** EVALSHA, loading the script once; NOSCRIPT (after a Redis restart, or another cluster node) runs the source once. */
  async #eval(keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<unknown> {
    this.#sha ??= (await this.#redis.script('LOAD', COMMIT_TREE)) as string;
    try {
      return await this.#redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      // EVAL caches it on the node that owns the keys (on a Redis Cluster SCRIPT LOAD reaches one random node)
      return this.#redis.eval(COMMIT_TREE, keys.length, ...keys, ...args);
    }
  }
}
