import { primariesOf, redisSettingOf, type RedisClient } from '@urna/service-kit';

/**
 * BullMQ keeps jobs as Redis keys: an evicting policy would silently drop scheduled closes and
 * recounts. Refuse to start unless Redis runs `maxmemory-policy noeviction` (on a Redis Cluster:
 * every primary, since any of them may own the queue's slot after a failover or a reshard).
 */
export async function requireNoEviction(redis: RedisClient): Promise<void> {
  for (const node of primariesOf(redis)) {
    const reply = (await node.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy !== 'noeviction') {
      throw new Error(
        `invalid configuration:\n  ${redisSettingOf(redis)}: Redis runs maxmemory-policy ${String(policy)}; BullMQ needs noeviction (jobs must never be evicted)`,
      );
    }
  }
}
