import { z } from 'zod';
import { authConfigShape } from '@urna/auth';
import { checkLogConfig, logConfigShape } from '@urna/log';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';

export const RecountConfig = z.object({
  ...sharedConfigShape,
  ...authConfigShape,
  ...logConfigShape,
  /** BullMQ key prefix (tests isolate stacks sharing one Redis with it). */
  URNA_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('urna-bull'),
  URNA_RECOUNT_PORT: z.coerce.number().int().min(0).max(65_535).default(8085),
  /** Vote-store shards (must equal the store worker's URNA_STORE_SHARDS): the recount folds them in parallel. */
  URNA_STORE_SHARDS: z.coerce.number().int().min(1).max(1024).default(16),
  /** A job whose process died is retried after its lock expires (BullMQ's stalled check). */
  URNA_RECOUNT_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** How long one recount attempt waits for both projections to pass the close markers before BullMQ retries it. */
  URNA_RECOUNT_WAIT_MS: z.coerce.number().int().min(0).default(20_000),
  /**
   * How long after the close votes reaching the log late are watched for (late-watch.ts). It
   * must exceed ingest's election cache (5 s) plus the append's delivery timeout
   * (URNA_KAFKA_MESSAGE_TIMEOUT_MS, 10 s) plus the live projection's lag.
   */
  URNA_LATE_WATCH_MS: z.coerce.number().int().min(0).default(60_000),
  /** Ticks of that watch: one SCARD each; a fold only when the live tally saw a late vote. */
  URNA_LATE_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).default(1_000),
  /** Hidden results: how long the recount waits, after the commitment, for the final checkpoints before it reveals anyway. */
  URNA_REVEAL_WAIT_MS: z.coerce.number().int().min(0).default(15_000),
  /** Fault injection for crash tests only: the first recount attempt of each election SIGKILLs its process after the fold, before any write. */
  URNA_FAULT_RECOUNT_CRASH_ONCE: z.enum(['0', '1']).default('0'),
});
export type RecountConfig = z.infer<typeof RecountConfig>;

export function readRecountConfig(env: NodeJS.ProcessEnv = process.env): RecountConfig {
  const config = loadConfig(RecountConfig, env);
  checkLogConfig(config);
  return config;
}
