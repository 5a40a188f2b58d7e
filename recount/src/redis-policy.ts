import type { Redis } from 'ioredis';

/**
 * BullMQ keeps jobs as Redis keys: an evicting policy would silently drop scheduled closes and
 * recounts. Refuse to start unless Redis runs `maxmemory-policy noeviction`.
 */
export async function requireNoEviction(redis: Redis): Promise<void> {
  const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
  const policy = reply[1];
  if (policy !== 'noeviction') {
    throw new Error(
      `invalid configuration:\n  URNA_REDIS_URL: Redis runs maxmemory-policy ${String(policy)}; BullMQ needs noeviction (jobs must never be evicted)`,
    );
  }
}
