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

/** CRC16 (XMODEM) of the key's hash tag, mod 16384: Redis Cluster's slot of a key. */
export function clusterKeySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const tagged = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

/**
 * The storm tests' 20,000 votes: 18,000 users named `<prefix>-<i>` voting a, b, c in turn, then
 * 2,000 repeat votes (10%) of users spread over the range; `order` is the same votes in a fixed
 * shuffled order (multiplicative hash), so repeats land among first votes.
 */
export function stormVotes(prefix: string): {
  users: string[];
  votes: Array<{ userId: string; optionId: string }>;
  order: Array<{ userId: string; optionId: string }>;
} {
  const users = Array.from({ length: 18_000 }, (_, i) => `${prefix}-${i}`);
  const votes = users.map((userId, i) => ({ userId, optionId: ['a', 'b', 'c'][i % 3]! }));
  for (let i = 0; i < 2_000; i++) votes.push({ userId: users[(i * 7919) % users.length]!, optionId: ['c', 'a', 'b'][i % 3]! });
  const order = votes
    .map((v, i) => ({ v, k: (i * 2654435761) % 4294967296 }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.v);
  return { users, votes, order };
}
