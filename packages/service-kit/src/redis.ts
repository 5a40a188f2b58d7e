import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection for request paths: no offline queue, one retry, bounded command time, so a Redis
 * outage surfaces as a fast 503 instead of requests piling up.
 */
export function failFastRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5_000, ...extra });
}

/** Connection for background loops and subscriptions: queues while reconnecting. */
export function patientRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...extra });
}
