import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/**
 * A Lua script kept in `lua/<name>.lua` (of this package, or of the folder `dir` names), loaded once with SCRIPT LOAD and called by EVALSHA.
 * After a Redis restart the script cache is empty: NOSCRIPT is answered by one EVAL of the
 * source, which runs it and caches it on the node that answered. On a Redis Cluster that is
 * what makes it work at all: SCRIPT LOAD reaches one node, EVALSHA goes to the keys' node.
 */
export class LuaScript {
  readonly source: string;
  private sha: string | undefined;

  constructor(
    readonly name: string,
    dir: URL = new URL('../lua/', import.meta.url),
  ) {
    this.source = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
  }

  async load(redis: Redis | Cluster): Promise<string> {
    this.sha = (await redis.script('LOAD', this.source)) as string;
    return this.sha;
  }

  async run(redis: Redis | Cluster, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const sha = this.sha ?? (await this.load(redis));
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
