import { z } from 'zod';
import { ConfigError } from '@urna/domain';
import { RecordSigning } from './record-signing.ts';

/** Defaults of the Kafka log, for KafkaLog's options and the URNA_KAFKA_* config alike. */
export const KAFKA_DEFAULTS = {
  lingerMs: 2,
  messageTimeoutMs: 10_000,
  sessionTimeoutMs: 10_000,
  fetchMaxWaitMs: 50,
  compression: 'lz4',
  requestTimeoutMs: 10_000,
  partitionsConcurrently: 4,
} as const;

const commaList = z.string().transform((text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/**
 * Which durable log the services use, and how to reach it. `URNA_LOG_PARTITIONS` (shared
 * config) is the partition count of either log. Redis Streams is the embedded default; Kafka
 * or Redpanda is the production log (see README, "Choosing the log").
 */
export const logConfigShape = {
  URNA_LOG: z.enum(['redis', 'kafka']).default('redis'),
  /** Kafka/Redpanda bootstrap servers, `host:port,host:port`; required when URNA_LOG=kafka. */
  URNA_KAFKA_BROKERS: commaList.optional(),
  /** The vote topic; created by the deployment's admin step with at least URNA_LOG_PARTITIONS partitions. */
  URNA_KAFKA_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name')
    .default('urna.votes'),
  URNA_KAFKA_CLIENT_ID: z.string().min(1).default('urna'),
  /** Prepended to the projections' consumer group ids: one per deployment sharing a cluster. */
  URNA_KAFKA_GROUP_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{0,100}$/, 'up to 100 characters of A-Z a-z 0-9 . _ : -')
    .default(''),
  URNA_KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(KAFKA_DEFAULTS.lingerMs),
  /** An append the brokers have not acknowledged within this time answers 503 (the voter retries). */
  URNA_KAFKA_MESSAGE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(KAFKA_DEFAULTS.messageTimeoutMs),
  /** A consumer silent this long is presumed dead and its partitions move to the other members. */
  URNA_KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(KAFKA_DEFAULTS.sessionTimeoutMs),
  /** Longest a consumer fetch waits for data (real brokers answer as soon as data arrives; the mock cluster only at this deadline). */
  URNA_KAFKA_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(KAFKA_DEFAULTS.fetchMaxWaitMs),
  URNA_KAFKA_COMPRESSION: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default(KAFKA_DEFAULTS.compression),
  URNA_KAFKA_SECURITY_PROTOCOL: z.enum(['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl']).default('plaintext'),
  URNA_KAFKA_SASL_MECHANISM: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']).optional(),
  URNA_KAFKA_SASL_USERNAME: z.string().optional(),
  URNA_KAFKA_SASL_PASSWORD: z.string().optional(),

  /**
   * base64url HMAC key (≥ 32 bytes) with which ingest and the lifecycle service sign every log
   * record and every projection checks it (README, "Signed log records"). Required by
   * openVoteLog; the embedded default generates one into .urna/secrets.json.
   */
  URNA_LOG_SIGNING_KEY: z
    .string()
    .transform((s) => Buffer.from(s, 'base64url'))
    .refine((b) => b.length >= 32, 'must be at least 32 bytes, base64url-encoded')
    .optional(),
  /** Id of URNA_LOG_SIGNING_KEY, written into every signature; a new key gets a new id. */
  URNA_LOG_SIGNING_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,16}$/, '1-16 characters of A-Z a-z 0-9 _ -')
    .default('k1'),
  /** Keys still accepted when checking (rotation): `id:base64urlkey,id:base64urlkey`. Never used to sign. */
  URNA_LOG_SIGNING_PREVIOUS_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]{43,}(,[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]{43,})*$/,
      'a list like "k0:<base64url key of ≥ 32 bytes>,…"',
    )
    .transform((text) =>
      text.split(',').map((pair) => {
        const [id, key] = pair.split(':') as [string, string];
        return { id, secret: Buffer.from(key, 'base64url') };
      }),
    )
    .optional(),
};
export const LogConfig = z.object(logConfigShape);
export type LogConfig = z.infer<typeof LogConfig> & { readonly URNA_LOG_PARTITIONS: number; readonly URNA_LOG_PREFIX: string };

/** Cross-key rules zod's per-key schema cannot state; errors name the key like loadConfig does. */
export function checkLogConfig(config: LogConfig): void {
  const issues: string[] = [];
  if (config.URNA_LOG === 'kafka' && (config.URNA_KAFKA_BROKERS ?? []).length === 0)
    issues.push('URNA_KAFKA_BROKERS: required when URNA_LOG=kafka');
  if (
    config.URNA_KAFKA_SASL_MECHANISM !== undefined &&
    (config.URNA_KAFKA_SASL_USERNAME === undefined || config.URNA_KAFKA_SASL_PASSWORD === undefined)
  ) {
    issues.push('URNA_KAFKA_SASL_USERNAME: required (with URNA_KAFKA_SASL_PASSWORD) when URNA_KAFKA_SASL_MECHANISM is set');
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The record signing of a LogConfig; every service that opens the log needs the key. */
export function recordSigningOf(config: LogConfig): RecordSigning {
  if (config.URNA_LOG_SIGNING_KEY === undefined) throw new ConfigError(['URNA_LOG_SIGNING_KEY: required (base64url, at least 32 bytes)']);
  return new RecordSigning(
    { id: config.URNA_LOG_SIGNING_KEY_ID, secret: config.URNA_LOG_SIGNING_KEY },
    config.URNA_LOG_SIGNING_PREVIOUS_KEYS,
  );
}
