import { z } from 'zod';
import { HTTP_TIMEOUT_DEFAULTS, type HttpTimeouts } from './http.ts';
import { parseClusterSeeds } from './redis.ts';

/** Environment keys shared by the services (defaults fit the embedded default). */
export const sharedConfigShape = {
  URNA_HOST: z.string().default('127.0.0.1'),
  URNA_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster seed nodes for everything but the Redis log: `redis://:<password>@host:port,host:port,…`
   * (the password, shared by every node, in the first). Unset: everything on URNA_REDIS_URL.
   */
  URNA_REDIS_CLUSTER: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      const seeds = parseClusterSeeds(value);
      if (typeof seeds === 'string') {
        ctx.addIssue({ code: 'custom', message: seeds });
        return z.NEVER;
      }
      return seeds;
    }),
  /** DynamoDB endpoint override (DynamoDB Local); unset means AWS. */
  URNA_DYNAMODB_ENDPOINT: z.string().url().optional(),
  URNA_AWS_REGION: z.string().default('local'),
  URNA_TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/)
    .default('urna_'),
  /**
   * Log partitions. Never change it while any election is open: a user's partition is
   * hash(userId) % partitions, and their votes must stay in one partition to keep log order.
   */
  URNA_LOG_PARTITIONS: z.coerce.number().int().min(1).max(4096).default(16),
  URNA_LOG_PREFIX: z.string().min(1).default('urna:votes'),
  /** Per-election hash buckets of users' markers and receipts in Redis (fixed for the data's life). */
  URNA_TALLY_BUCKETS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1 << 24)
    .default(65_536),
  /**
   * Sub-shards per election in the live tally (1: none). Users' markers, receipts and counters
   * spread over this many hash slots by bucket, so one hot election uses several cluster
   * primaries. Fixed for the data's life, like URNA_TALLY_BUCKETS; at most the bucket count.
   */
  URNA_TALLY_SUBSHARDS: z.coerce.number().int().min(1).max(256).default(1),
  URNA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  /** Each service's own socket limits (service-kit HttpTimeouts), whatever the edge in front does. */
  URNA_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(HTTP_TIMEOUT_DEFAULTS.headersMs),
  URNA_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(HTTP_TIMEOUT_DEFAULTS.requestMs),
  URNA_HTTP_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(HTTP_TIMEOUT_DEFAULTS.keepAliveMs),
  URNA_HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(HTTP_TIMEOUT_DEFAULTS.idleMs),
};

/** The HTTP timeouts of a service's config, for createHttpApp. */
export const httpTimeoutsOf = (config: {
  URNA_HTTP_HEADERS_TIMEOUT_MS: number;
  URNA_HTTP_REQUEST_TIMEOUT_MS: number;
  URNA_HTTP_KEEPALIVE_TIMEOUT_MS: number;
  URNA_HTTP_IDLE_TIMEOUT_MS: number;
}): Partial<HttpTimeouts> => ({
  headersMs: config.URNA_HTTP_HEADERS_TIMEOUT_MS,
  requestMs: config.URNA_HTTP_REQUEST_TIMEOUT_MS,
  keepAliveMs: config.URNA_HTTP_KEEPALIVE_TIMEOUT_MS,
  idleMs: config.URNA_HTTP_IDLE_TIMEOUT_MS,
});
