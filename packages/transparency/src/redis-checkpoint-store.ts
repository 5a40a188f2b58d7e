/**
 * CheckpointStore on Redis: per tree, the latest checkpoint (`…:{<treeId>}:cp`) and every
 * published one by size (`…:{<treeId>}:cps`), each as "<size>|<base64 root>|<note>". Publishing
 * is one lua/publishCheckpoint-2.lua call (compare the latest size, then write both).
 * Imported as `@urna/transparency/redis`.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { CheckpointStore, PublishedCheckpoint } from './checkpoint-store.ts';
import { TransparencyErrors } from './errors.ts';

const PUBLISH = readFileSync(new URL('../lua/publishCheckpoint-2.lua', import.meta.url), 'utf8');

const keysOf = (prefix: string, treeId: string): { latest: string; all: string } => ({
  latest: `${prefix}:{${treeId}}:cp`,
  all: `${prefix}:{${treeId}}:cps`,
});

const encode = (c: PublishedCheckpoint): string => `${c.size}|${c.root.toString('base64')}|${c.note}`;

function decode(raw: string | null): PublishedCheckpoint | undefined {
  if (raw === null) return undefined;
  const a = raw.indexOf('|');
  const b = raw.indexOf('|', a + 1);
  return { size: Number(raw.slice(0, a)), root: Buffer.from(raw.slice(a + 1, b), 'base64'), note: raw.slice(b + 1) };
}

export class RedisCheckpointStore implements CheckpointStore {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  #sha: string | undefined;

  constructor(redis: Redis | Cluster, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'urna:tlog';
  }

  async latest(treeId: string): Promise<PublishedCheckpoint | undefined> {
    return decode(await this.#redis.get(keysOf(this.#prefix, treeId).latest));
  }

  async atSize(treeId: string, size: number): Promise<PublishedCheckpoint | undefined> {
    return decode(await this.#redis.hget(keysOf(this.#prefix, treeId).all, String(size)));
  }

  async publish(treeId: string, next: PublishedCheckpoint, previousSize: number | undefined): Promise<void> {
    const keys = keysOf(this.#prefix, treeId);
    const args = [previousSize === undefined ? '' : String(previousSize), String(next.size), encode(next)];
    this.#sha ??= (await this.#redis.script('LOAD', PUBLISH)) as string;
    let reply: unknown;
    try {
      reply = await this.#redis.evalsha(this.#sha, 2, keys.latest, keys.all, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      // EVAL caches it on the node that owns the keys (on a Redis Cluster SCRIPT LOAD reaches one random node)
      reply = await this.#redis.eval(PUBLISH, 2, keys.latest, keys.all, ...args);
    }
    const [code, latest] = reply as [string, string | undefined];
    if (code !== 'OK')
      throw TransparencyErrors.checkpointConflict(
        treeId,
        `latest is ${latest === '' ? 'none' : String(latest)}, expected ${String(previousSize)}`,
      );
  }
}
