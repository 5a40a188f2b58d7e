import type { Registry } from 'prom-client';
import type { Election } from '@urna/domain';
import type { VoteLog } from '@urna/log';
import type { LiveTally } from '@urna/tally';
import type { DevIssuer, TokenVerifier } from '@urna/auth';
import type { ElectionCache } from './election-cache.ts';

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
  readonly bodyLimit?: number;
  readonly maxAppendBatch?: number;
  readonly appendLingerMs?: number;
}
