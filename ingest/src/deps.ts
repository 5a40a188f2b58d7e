import type { Registry } from 'prom-client';
import type { VoteLog } from '@urna/log';
import type { LiveTally } from '@urna/tally';
import type { DevIssuer, TokenVerifier } from '@urna/auth';
import type { ElectionCache } from './election-cache.ts';

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
  readonly logger?: boolean | object;
  readonly bodyLimit?: number;
  readonly maxAppendBatch?: number;
  readonly appendLingerMs?: number;
}
