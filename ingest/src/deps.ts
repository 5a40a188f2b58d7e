import type { Registry } from 'prom-client';
import type { HttpTimeouts } from '@urna/service-kit';
import type { VoteLog } from '@urna/log';
import type { LiveTally } from '@urna/tally';
import type { DevIssuer, TokenVerifier } from '@urna/auth';
import type { ElectionCache } from './election-cache.ts';
import type { RateLimits } from './abuse/rate-limits.ts';
import type { ProofOfWork } from './abuse/proof-of-work.ts';
import type { ReceiptSigner } from './receipts.ts';

/**
 * Defaults of buildIngestApp, which are also the production config's (ingest/src/config.ts),
 * so tests run the setting production runs.
 */
export const INGEST_DEFAULTS = {
  /** Largest vote/admin request body in bytes; larger ones get 413. */
  bodyLimit: 16_384,
  /** An append batch is flushed as soon as this many votes wait. */
  maxAppendBatch: 1_000,
  /** The first vote of an append batch waits this long for others (0 = end of the event-loop turn); 5 ms measured best for CPU per vote and p99 (docs/benchmarks.md). */
  appendLingerMs: 5,
} as const;

/** Everything the ingest app is built from (see buildIngestApp); its routes take it too. */
export interface IngestDeps {
  readonly log: VoteLog;
  /** Election config from Redis (written by the lifecycle service), cached per process. */
  readonly cache: ElectionCache;
  /** Live read model: receives voters' receipts. */
  readonly tally: Pick<LiveTally, 'recordReceipts'>;
  readonly verifier: TokenVerifier;
  readonly registry: Registry;
  readonly votingTokens?: { readonly secret: Buffer; readonly ttlSeconds: number };
  /** Built-in dev identity provider; only in dev mode. */
  readonly devIssuer?: DevIssuer;
  /** Shared rate limits of the vote path (main.ts always sets them; app tests may leave them out). */
  readonly limits?: RateLimits;
  /** ALTCHA proof-of-work; without it elections are created with `challenge: "off"`. */
  readonly pow?: ProofOfWork;
  /** Signs the transparency receipt of each 202; without it the 202 carries no `receipt`. */
  readonly receipts?: ReceiptSigner;
  /** The edge's addresses, whose X-Forwarded-For names the client. */
  readonly trustProxy?: string;
  readonly logger?: boolean | object;
  /** Socket limits (service-kit HTTP_TIMEOUT_DEFAULTS when absent). */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
  /** @defaultValue INGEST_DEFAULTS.bodyLimit (16 KiB) */
  readonly bodyLimit?: number;
  /** @defaultValue INGEST_DEFAULTS.maxAppendBatch (1,000) */
  readonly maxAppendBatch?: number;
  /** @defaultValue INGEST_DEFAULTS.appendLingerMs (5 ms) */
  readonly appendLingerMs?: number;
}
