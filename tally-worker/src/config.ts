import { hostname } from 'node:os';
import { z } from 'zod';
import { checkLogConfig, CONSUMER_DEFAULTS, logConfigShape } from '@urna/log';
import { ConfigError, loadConfig, sharedConfigShape } from '@urna/service-kit';
import { transparencySecretsShape } from '@urna/transparency/config';

const partitionList = z
  .string()
  .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a list like "0-7,12"')
  .transform((text) =>
    text.split(',').flatMap((part) => {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
    }),
  );

export const WorkerConfig = z.object({
  ...sharedConfigShape,
  ...logConfigShape,
  /** Which projection this process runs: `live` (Redis read model), `store` (DynamoDB) or `transparency` (Merkle logs). */
  URNA_PROJECTION: z.enum(['live', 'store', 'transparency']),
  /** Stable member name: a restarted process with the same name resumes its unacknowledged records. */
  URNA_WORKER_NAME: z.string().min(1).optional(),
  /** Partitions read by this process; all when unset. Redis log only: Kafka assigns partitions to group members. */
  URNA_WORKER_PARTITIONS: partitionList.optional(),
  /**
   * Redis log without URNA_WORKER_PARTITIONS: the members of a projection share its partitions
   * through leases of this length (a dead member's move after it); 0 turns leases off, and the
   * process then reads every partition (it must be its projection's only member).
   */
  URNA_WORKER_LEASE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  URNA_WORKER_PORT: z.coerce.number().int().min(0).max(65_535).default(8083),
  URNA_WORKER_BATCH: z.coerce.number().int().min(1).max(10_000).default(CONSUMER_DEFAULTS.batchSize),
  /** Redis log: records unacknowledged by another member for this long are taken over (that member is presumed dead). Kafka: see URNA_KAFKA_SESSION_TIMEOUT_MS. */
  URNA_WORKER_CLAIM_IDLE_MS: z.coerce.number().int().min(100).default(CONSUMER_DEFAULTS.claimIdleMs),
  /** Fault injection for crash tests only: SIGKILL self after applying this many batches, before they are acknowledged. */
  URNA_FAULT_CRASH_AFTER_BATCHES: z.coerce.number().int().min(1).optional(),
  URNA_STORE_WRITE_MODE: z.enum(['transact', 'batch']).default('transact'),
  URNA_STORE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  URNA_STORE_SHARDS: z.coerce.number().int().min(1).max(1024).default(16),
  ...transparencySecretsShape,
  /** Transparency projection: a tree that grew is checkpointed within this long (docs/transparency.md §5: at most 5 s). */
  URNA_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).max(5_000).default(1_000),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig & { workerName: string } {
  const config = loadConfig(WorkerConfig, env);
  checkLogConfig(config);
  if (config.URNA_LOG === 'kafka' && config.URNA_WORKER_PARTITIONS !== undefined) {
    throw new ConfigError(['URNA_WORKER_PARTITIONS: not used with URNA_LOG=kafka (the consumer group assigns partitions)']);
  }
  if (config.URNA_PROJECTION === 'transparency') {
    const missing = (['URNA_TRANSPARENCY_KEY', 'URNA_PSEUDONYM_SECRET'] as const).filter((key) => config[key] === undefined);
    if (missing.length > 0) throw new ConfigError(missing.map((key) => `${key}: required with URNA_PROJECTION=transparency`));
  }
  return { ...config, workerName: config.URNA_WORKER_NAME ?? `${config.URNA_PROJECTION}-${hostname()}` };
}
