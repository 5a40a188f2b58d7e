import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { VoteLog } from '@urna/log';
import { GROUPS } from '@urna/tally-worker';

export const randomName = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;

/** A connection to the run's redis-server that fails fast instead of queueing offline. */
export function testRedis(url: string = inject('redisUrl')): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** Counts without zero entries (the live tally lists every option, the store only those voted). */
export const nonZero = (counts: Record<string, number> | undefined): Record<string, number> =>
  Object.fromEntries(Object.entries(counts ?? {}).filter(([, n]) => n !== 0));

/** Waits until both projections' consumer groups have acknowledged everything in the log. */
export async function waitDrained(log: VoteLog, timeoutMs = 120_000): Promise<void> {
  await eventually(
    'log drained by both projections',
    async () => {
      for (const group of Object.values(GROUPS)) {
        const b = await log.backlog(group);
        if (b.undelivered + b.pending > 0) return undefined;
      }
      return true;
    },
    timeoutMs,
  );
}
