import { z } from 'zod';
import { authConfigShape, checkAuthConfig } from '@urna/auth';
import { checkLogConfig, logConfigShape } from '@urna/log';
import { ConfigError, loadConfig, sharedConfigShape } from '@urna/service-kit';
import { transparencySecretsShape } from '@urna/transparency/config';
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
  /** The edge's addresses: their X-Forwarded-For names the client (rate limits key on it). */
  URNA_TRUST_PROXY: z
    .string()
    .regex(/^[0-9a-fA-F.:/, ]+$/, 'addresses or CIDRs, comma-separated')
    .default('127.0.0.1,::1'),
  // rate limits (README "Rate limits"): defaults a televote could ship with
  /** Redis key prefix of the limits' counters (tests isolate runs with it). */
  URNA_RL_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/)
    .default('urna:rl'),
  URNA_RL_USER_VOTES: z.coerce.number().int().min(1).default(10),
  URNA_RL_USER_WINDOW_S: z.coerce.number().int().min(1).default(60),
  URNA_RL_IP_FAILURES: z.coerce.number().int().min(1).default(100),
  URNA_RL_IP_FAILURES_WINDOW_S: z.coerce.number().int().min(1).default(60),
  /** Votes/s ceiling of an election that sets none (0: none); an admin sets one per election. */
  URNA_RL_ELECTION_VOTES_PER_SEC: z.coerce.number().int().min(0).default(0),
  // proof-of-work (README "Proof-of-work"): mode and cost of elections created without them
  URNA_CHALLENGE_DEFAULT: z.enum(['off', 'pow']).default('off'),
  URNA_CHALLENGE_COST: z.coerce.number().int().min(1_000).max(10_000_000).default(50_000),
  URNA_CHALLENGE_TTL_S: z.coerce.number().int().min(10).max(3_600).default(300),
  /** base64url HMAC key of challenges (≥ 32 bytes); derived from URNA_VOTING_TOKEN_SECRET when unset. */
  URNA_CHALLENGE_HMAC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43,}$/, 'at least 32 bytes, base64url')
    .optional(),
  /** Signed receipts with the 202 (docs/transparency.md §6): both or neither. */
  ...transparencySecretsShape,
});
export type IngestConfig = z.infer<typeof IngestConfig>;

export function readIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const config = loadConfig(IngestConfig, env);
  checkLogConfig(config);
  checkAuthConfig(config);
  if ((config.URNA_TRANSPARENCY_KEY === undefined) !== (config.URNA_PSEUDONYM_SECRET === undefined)) {
    throw new ConfigError([
      `${config.URNA_TRANSPARENCY_KEY === undefined ? 'URNA_TRANSPARENCY_KEY' : 'URNA_PSEUDONYM_SECRET'}: required with the other (signed receipts need both)`,
    ]);
  }
  return config;
}
