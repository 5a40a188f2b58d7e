import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * A Lua script kept in `lua/<name>.lua`, loaded once with SCRIPT LOAD and called by EVALSHA.
 * After a Redis restart the script cache is empty: NOSCRIPT triggers one reload and retry.
 */
export class LuaScript {
  readonly source: string;
  private sha: string | undefined;

  constructor(readonly name: string) {
    this.source = readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
  }

  async load(redis: Redis): Promise<string> {
    this.sha = (await redis.script('LOAD', this.source)) as string;
    return this.sha;
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const sha = this.sha ?? (await this.load(redis));
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return redis.evalsha(await this.load(redis), keys.length, ...keys, ...args);
    }
  }
}
