import { z } from 'zod';
import { authConfigShape } from '@urna/auth';
import { checkLogConfig, logConfigShape } from '@urna/log';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';

export const IngestConfig = z.object({
  ...sharedConfigShape,
  ...authConfigShape,
  ...logConfigShape,
  URNA_INGEST_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  /** Largest vote/admin request body in bytes; larger ones get 413. */
  URNA_BODY_LIMIT: z.coerce.number().int().min(256).default(16_384),
  URNA_APPEND_MAX_BATCH: z.coerce.number().int().min(1).default(1_000),
  /** The first vote of an append batch waits this long for others (0 = end of the event-loop turn); 5 ms measured best for CPU per vote and p99 (docs/benchmarks.md). */
  URNA_APPEND_LINGER_MS: z.coerce.number().int().min(0).max(50).default(5),
});
export type IngestConfig = z.infer<typeof IngestConfig>;

export function readIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const config = loadConfig(IngestConfig, env);
  checkLogConfig(config);
  return config;
}
