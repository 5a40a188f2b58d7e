import { z } from 'zod';
import { authConfigShape } from '@urna/auth';
import { checkLogConfig, logConfigShape } from '@urna/log';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';
import { INGEST_DEFAULTS } from './deps.ts';

export const IngestConfig = z.object({
  ...sharedConfigShape,
  ...authConfigShape,
  ...logConfigShape,
  URNA_INGEST_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  /** See INGEST_DEFAULTS for these three. */
  URNA_BODY_LIMIT: z.coerce.number().int().min(256).default(INGEST_DEFAULTS.bodyLimit),
  URNA_APPEND_MAX_BATCH: z.coerce.number().int().min(1).default(INGEST_DEFAULTS.maxAppendBatch),
  URNA_APPEND_LINGER_MS: z.coerce.number().int().min(0).max(50).default(INGEST_DEFAULTS.appendLingerMs),
});
export type IngestConfig = z.infer<typeof IngestConfig>;

export function readIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const config = loadConfig(IngestConfig, env);
  checkLogConfig(config);
  return config;
}
