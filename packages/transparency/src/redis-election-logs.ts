/**
 * The transparency logs of every election on Redis, beyond the tree and checkpoint stores:
 * leaf texts by index, the vote → leaf index, each partition's close-marker leaf and its final
 * size. Written by the transparency projection (tally-worker), read by results-sse. Keys
 * (docs/transparency.md §11), with `<t>` = `<electionId>/<partition>`:
 *   <prefix>:{<t>}:leaves         hash index → leaf text (written before the tree commit, so a
 *                                 committed leaf always has its text)
 *   <prefix>:{<e>}:votes:<bucket> hash voteId → "<partition>:<index>" (first write wins)
 *   <prefix>:{<e>}:close          hash partition → index of the close-marker leaf (set once)
 *   <prefix>:{<e>}:final          hash partition → size of the final checkpoint (moves only
 *                                 forward: a late entry re-reconciled extends it)
 *   <prefix>:closing:<scope>      set of elections whose final checkpoints are not all cut yet
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { bucketOf } from '@urna/domain';
import { MerkleLog } from './merkle-log.ts';
import { RedisCheckpointStore } from './redis-checkpoint-store.ts';
import { RedisTreeStore } from './redis-tree-store.ts';

const ADVANCE_FINAL_SIZES = readFileSync(new URL('../lua/advanceFinalSizes-1.lua', import.meta.url), 'utf8');

export const TLOG_PREFIX = 'urna:tlog';
/** Buckets of the vote → leaf index per election (fixed for the data's life). */
export const VOTE_INDEX_BUCKETS = 4_096;

export const treeIdOf = (electionId: string, partition: number): string => `${electionId}/${partition}`;

export interface LeafLocation {
  readonly partition: number;
  readonly index: number;
}

export class RedisElectionLogs {
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  readonly trees: RedisTreeStore;
  readonly checkpoints: RedisCheckpointStore;
  #advanceSha: string | undefined;

  constructor(redis: Redis | Cluster, options: { prefix?: string } = {}) {
    this.redis = redis;
    this.prefix = options.prefix ?? TLOG_PREFIX;
    this.trees = new RedisTreeStore(redis, { prefix: this.prefix });
    this.checkpoints = new RedisCheckpointStore(redis, { prefix: this.prefix });
  }

  readonly keys = {
    leaves: (electionId: string, partition: number) => `${this.prefix}:{${treeIdOf(electionId, partition)}}:leaves`,
    votes: (electionId: string, voteId: string) => `${this.prefix}:{${electionId}}:votes:${bucketOf(voteId, VOTE_INDEX_BUCKETS)}`,
    close: (electionId: string) => `${this.prefix}:{${electionId}}:close`,
    final: (electionId: string) => `${this.prefix}:{${electionId}}:final`,
    closing: (scope: string) => `${this.prefix}:closing:${scope}`,
  };

  /** A reader/writer of one tree; cheap, and reads the committed size from Redis on every proof. */
  log(electionId: string, partition: number): MerkleLog {
    return new MerkleLog(this.trees, treeIdOf(electionId, partition));
  }

  /**
   * Stores leaf texts at `start`, `start + 1`, … and indexes the votes among them. Idempotent:
   * a redelivered batch writes the same texts at the same indexes (leaves are a pure function
   * of the log), and a vote's first index is kept.
   */
  async writeLeaves(
    electionId: string,
    partition: number,
    start: number,
    leaves: ReadonlyArray<{ readonly leaf: string; readonly voteId?: string | undefined }>,
  ): Promise<void> {
    if (leaves.length === 0) return;
    // two pipelines, one per hash tag ({e} and {e/p}): on a Redis Cluster a pipeline stays in one slot
    const index = this.redis.pipeline();
    const fields: string[] = [];
    leaves.forEach(({ leaf, voteId }, i) => {
      fields.push(String(start + i), leaf);
      if (voteId !== undefined) index.hsetnx(this.keys.votes(electionId, voteId), voteId, `${partition}:${start + i}`);
    });
    await Promise.all([exec(index), exec(this.redis.pipeline().hset(this.keys.leaves(electionId, partition), ...fields))]);
  }

  async locateVote(electionId: string, voteId: string): Promise<LeafLocation | undefined> {
    const raw = await this.redis.hget(this.keys.votes(electionId, voteId), voteId);
    if (raw === null) return undefined;
    const [p, i] = raw.split(':');
    return { partition: Number(p), index: Number(i) };
  }

  /** The voteIds among these that have no leaf (one pipelined HEXISTS each). */
  async missingVotes(electionId: string, voteIds: readonly string[]): Promise<string[]> {
    if (voteIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const voteId of voteIds) pipeline.hexists(this.keys.votes(electionId, voteId), voteId);
    const results = (await pipeline.exec()) ?? [];
    return voteIds.filter((_, i) => {
      const [error, found] = results[i] ?? [];
      if (error) throw error;
      return found !== 1;
    });
  }

  /** Leaf texts [from, to) of one tree, in index order. */
  async leaves(electionId: string, partition: number, from: number, to: number): Promise<string[]> {
    if (to <= from) return [];
    const fields = Array.from({ length: to - from }, (_, i) => String(from + i));
    const values = await this.redis.hmget(this.keys.leaves(electionId, partition), ...fields);
    return values.map((value, i) => {
      if (value === null) throw new Error(`tree ${treeIdOf(electionId, partition)} has no leaf text at ${from + i}`);
      return value;
    });
  }

  async closeIndexes(electionId: string): Promise<Map<number, number>> {
    return numberMap(await this.redis.hgetall(this.keys.close(electionId)));
  }

  /** Records the close-marker leaf of a partition; false if one was recorded before (it rules). */
  async setCloseIndex(electionId: string, partition: number, index: number): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.close(electionId), String(partition), String(index))) === 1;
  }

  async finalSizes(electionId: string): Promise<Map<number, number>> {
    return numberMap(await this.redis.hgetall(this.keys.final(electionId)));
  }

  /** Moves final sizes forward only, all of one election's in one call (advanceFinalSizes-1.lua). */
  async advanceFinalSizes(electionId: string, sizes: ReadonlyMap<number, number>): Promise<number> {
    if (sizes.size === 0) return 0;
    const args = [...sizes].flatMap(([p, size]) => [String(p), String(size)]);
    this.#advanceSha ??= (await this.redis.script('LOAD', ADVANCE_FINAL_SIZES)) as string;
    try {
      return Number(await this.redis.evalsha(this.#advanceSha, 1, this.keys.final(electionId), ...args));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      // EVAL runs (and caches) it on the key's node: on a Redis Cluster SCRIPT LOAD reached another one
      return Number(await this.redis.eval(ADVANCE_FINAL_SIZES, 1, this.keys.final(electionId), ...args));
    }
  }

  /** The final size of a partition is set once; a later call keeps the first. */
  async setFinalSize(electionId: string, partition: number, size: number): Promise<void> {
    await this.redis.hsetnx(this.keys.final(electionId), String(partition), String(size));
  }
}

function numberMap(hash: Record<string, string>): Map<number, number> {
  return new Map(Object.entries(hash).map(([k, v]) => [Number(k), Number(v)]));
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
}
