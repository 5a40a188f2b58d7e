import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '@urna/service-kit';
import { AppendBatcher } from './append-batcher.ts';
import { INGEST_DEFAULTS, type IngestDeps } from './deps.ts';
import { ingestMetrics } from './metrics.ts';
import { authRoutes } from './routes/auth.ts';
import { voteRoutes } from './routes/votes.ts';
import { adminRoutes } from './routes/admin.ts';
import { decoratePrincipal } from './routes/authenticate.ts';
import { challengeRoutes } from './routes/challenge.ts';

/** The command side of urna: vote intake (elections are administered by the lifecycle service, recount/). */
export function buildIngestApp(deps: IngestDeps): FastifyInstance {
  const app = createHttpApp({
    service: 'ingest',
    registry: deps.registry,
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? INGEST_DEFAULTS.bodyLimit,
    ...(deps.trustProxy === undefined ? {} : { trustProxy: deps.trustProxy }),
    ...(deps.httpTimeouts === undefined ? {} : { timeouts: deps.httpTimeouts }),
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
    maxBatch: deps.maxAppendBatch ?? INGEST_DEFAULTS.maxAppendBatch,
    lingerMs: deps.appendLingerMs ?? INGEST_DEFAULTS.appendLingerMs,
  });
  app.addHook('onClose', async () => batcher.drain());
  decoratePrincipal(app);
  app.register(authRoutes(deps));
  app.register(voteRoutes(deps, batcher, metrics));
  app.register(challengeRoutes(deps));
  app.register(adminRoutes(deps));
  return app;
}
