import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Election } from '@urna/domain';
import type { VoteLog } from '@urna/log';
import type { LiveTally } from '@urna/tally';
import type { DevIssuer, TokenVerifier } from '@urna/auth';
import { createHttpApp } from '@urna/service-kit';
import { AppendBatcher } from './append-batcher.ts';
import type { ElectionCache } from './election-cache.ts';
import { ingestMetrics } from './metrics.ts';
import { authRoutes } from './routes/auth.ts';
import { electionRoutes } from './routes/elections.ts';
import { voteRoutes } from './routes/votes.ts';
import { adminRoutes } from './routes/admin.ts';
import type { RateLimits } from './abuse/rate-limits.ts';
import type { ProofOfWork } from './abuse/proof-of-work.ts';
import { challengeRoutes } from './routes/challenge.ts';

export interface ElectionStore {
  create(election: Election): Promise<Election>;
  get(id: string): Promise<Election | undefined>;
  list(): Promise<Election[]>;
  transition(id: string, action: 'open' | 'close'): Promise<Election>;
}

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
  /** Shared rate limits of the vote path (main.ts always sets them; app tests may leave them out). */
  readonly limits?: RateLimits;
  /** ALTCHA proof-of-work; without it elections are created with `challenge: "off"`. */
  readonly pow?: ProofOfWork;
  readonly trustProxy?: string;
  readonly logger?: boolean | object;
  readonly bodyLimit?: number;
  readonly maxAppendBatch?: number;
  readonly appendLingerMs?: number;
}

/** The command side of urna: elections admin and vote intake. */
export function buildIngestApp(deps: IngestDeps): FastifyInstance {
  const app = createHttpApp({
    service: 'ingest', registry: deps.registry, logger: deps.logger ?? false, bodyLimit: deps.bodyLimit ?? 16 * 1024,
    ...(deps.trustProxy === undefined ? {} : { trustProxy: deps.trustProxy }),
  });
  const metrics = ingestMetrics(deps.registry);
  const batcher = new AppendBatcher({
    append: (votes) => deps.log.append(votes),
    afterAppend: (logged) => deps.tally.recordReceipts(logged),
    onAfterAppendError: (error) => app.log.warn({ err: error }, 'receipts not recorded (votes are durable)'),
    onFlush: (size, seconds) => {
      metrics.batchSize.observe(size);
      metrics.appendSeconds.observe(seconds);
    },
    maxBatch: deps.maxAppendBatch ?? 1_000,
    lingerMs: deps.appendLingerMs ?? 0,
  });
  app.addHook('onClose', async () => batcher.drain());
  app.register(authRoutes(deps));
  app.register(electionRoutes(deps));
  app.register(voteRoutes(deps, batcher, metrics));
  app.register(challengeRoutes(deps));
  app.register(adminRoutes(deps));
  return app;
}
