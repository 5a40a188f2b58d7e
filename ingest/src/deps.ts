import type { Registry } from 'prom-client';
import type { Election } from '@urna/domain';
import type { VoteLog } from '@urna/log';
import type { LiveTally } from '@urna/tally';
import type { DevIssuer, TokenVerifier } from '@urna/auth';
import type { ElectionCache } from './election-cache.ts';

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

export interface ElectionStore {
  create(election: Election): Promise<Election>;
  get(id: string): Promise<Election | undefined>;
  list(): Promise<Election[]>;
  transition(id: string, action: 'open' | 'close'): Promise<Election>;
}

/** Everything the ingest app is built from (see buildIngestApp); its routes take it too. */
export interface IngestDeps {
  readonly log: VoteLog;
  readonly elections: ElectionStore;
  readonly cache: ElectionCache;
  /** Live read model: initialised on election creation, receives voters' receipts. */
  readonly tally: Pick<LiveTally, 'initElection' | 'setStatus' | 'recordReceipts'>;
  readonly verifier: TokenVerifier;
  /** Tells every ingest process that an election changed (cache invalidation). */
  readonly announce: (electionId: string) => Promise<void>;
  readonly registry: Registry;
  readonly votingTokens?: { readonly secret: Buffer; readonly ttlSeconds: number };
  /** Built-in dev identity provider; only in dev mode. */
  readonly devIssuer?: DevIssuer;
  readonly logger?: boolean | object;
  /** @defaultValue INGEST_DEFAULTS.bodyLimit (16 KiB) */
  readonly bodyLimit?: number;
  /** @defaultValue INGEST_DEFAULTS.maxAppendBatch (1,000) */
  readonly maxAppendBatch?: number;
  /** @defaultValue INGEST_DEFAULTS.appendLingerMs (5 ms) */
  readonly appendLingerMs?: number;
}
