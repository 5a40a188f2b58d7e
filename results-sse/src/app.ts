import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import { DomainErrors, electionIdFromPath, UrnaError } from '@urna/domain';
import type { LiveTally } from '@urna/tally';
import type { TokenVerifier } from '@urna/auth';
import { createHttpApp, type HttpTimeouts } from '@urna/service-kit';
import type { ResultsHub } from './results-hub.ts';
import { transparencyRoutes, type TransparencyReadDeps } from './transparency-routes.ts';

export interface ResultsDeps {
  readonly tally: Pick<LiveTally, 'results' | 'receiptsOf' | 'reconciliation' | 'commitmentOf'>;
  readonly hub: ResultsHub;
  readonly verifier: TokenVerifier;
  readonly registry: Registry;
  readonly logger?: boolean | object;
  /** Socket limits (service-kit HTTP_TIMEOUT_DEFAULTS when absent). */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
  /** Open streams this process serves at most; above it 503 + Retry-After, before file descriptors run out. */
  readonly maxStreams?: number;
  /** The transparency endpoints (keys, checkpoints, proofs, export); absent: not served. */
  readonly transparency?: TransparencyReadDeps;
}

/** The query side: live results (JSON and SSE) and voters' receipts, all from the Redis read model. */
export function buildResultsApp(deps: ResultsDeps): FastifyInstance {
  const app = createHttpApp({
    service: 'results-sse',
    registry: deps.registry,
    logger: deps.logger ?? false,
    ...(deps.httpTimeouts === undefined ? {} : { timeouts: deps.httpTimeouts }),
  });
  // open SSE streams would hold the server's close until their clients leave: end them first
  app.addHook('preClose', async () => deps.hub.close());
  new Gauge({
    name: 'urna_sse_clients',
    help: 'Open SSE connections',
    registers: [deps.registry],
    collect() {
      this.set(deps.hub.clientCount);
    },
  });
  // the cap next to the count, so an alert can say "near the cap" whatever each process's setting
  new Gauge({
    name: 'urna_sse_clients_max',
    help: 'Open SSE connections this process accepts (URNA_SSE_MAX_STREAMS)',
    registers: [deps.registry],
  }).set(deps.maxStreams ?? 15_000);

  app.get('/v1/elections/:id/results', async (request) => {
    const id = electionIdFromPath(request.params);
    const snapshot = await deps.tally.results(id);
    if (snapshot === undefined) throw DomainErrors.electionNotFound(id);
    return snapshot;
  });

  app.get('/v1/elections/:id/results/stream', async (request, reply) => {
    const id = electionIdFromPath(request.params);
    if (deps.hub.clientCount >= (deps.maxStreams ?? 15_000)) {
      throw new UrnaError('SERVICE_UNAVAILABLE', 'this results process is at its stream limit; retry shortly', {
        status: 503,
        retriable: true,
        retryAfterSeconds: 2,
      });
    }
    const snapshot = await deps.tally.results(id);
    if (snapshot === undefined) throw DomainErrors.electionNotFound(id);
    const header = request.headers['last-event-id'];
    const lastEventId = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    // HEAD (fastify answers it with this GET handler): the stream's headers and no stream, so a
    // HEAD neither hangs nor holds a stream slot
    if (request.method === 'HEAD')
      return reply.status(200).type('text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').send();
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 2000\n\n');
    await deps.hub.join(id, raw, lastEventId);
  });

  /** Anyone, once the official result is published: the JSON the recount wrote, byte for byte. */
  app.get('/v1/elections/:id/reconciliation', async (request, reply) => {
    const id = electionIdFromPath(request.params);
    const document = await deps.tally.reconciliation(id);
    if (document === undefined) {
      if ((await deps.tally.results(id)) === undefined) throw DomainErrors.electionNotFound(id);
      throw DomainErrors.resultNotFinal(id);
    }
    return reply.type('application/json; charset=utf-8').send(document);
  });

  /**
   * Hidden results, commit before reveal: the commitment SHA-256(result ‖ reconciliation ‖
   * nonce) once the recount made it; after the reveal (the official result is published) also
   * its opening: the nonce and the committed result and reconciliation bytes.
   */
  app.get('/v1/elections/:id/commitment', async (request) => {
    const id = electionIdFromPath(request.params);
    const stored = await deps.tally.commitmentOf(id);
    if (stored === undefined) {
      if ((await deps.tally.results(id)) === undefined) throw DomainErrors.electionNotFound(id);
      throw new UrnaError('NOT_FOUND', `election "${id}" has no commitment: only elections with hidden results get one, at the recount`);
    }
    const revealed = (await deps.tally.reconciliation(id)) !== undefined;
    return { ...(JSON.parse(stored.commitment) as object), revealed, ...(revealed ? (JSON.parse(stored.opening) as object) : {}) };
  });

  /** Admins see the live counts, also while results are hidden from the public. */
  app.get('/v1/admin/elections/:id/results', async (request) => {
    await deps.verifier.require(request.headers.authorization, 'admin');
    const id = electionIdFromPath(request.params);
    const snapshot = await deps.tally.results(id, { raw: true });
    if (snapshot === undefined) throw DomainErrors.electionNotFound(id);
    return snapshot;
  });

  app.get('/v1/elections/:id/votes/me', async (request) => {
    const principal = await deps.verifier.require(request.headers.authorization, 'voter');
    const id = electionIdFromPath(request.params);
    const votes = await deps.tally.receiptsOf(id, principal.userId);
    if (votes.length === 0) throw DomainErrors.noVotes(id);
    return { votes };
  });
  if (deps.transparency !== undefined) transparencyRoutes(app, deps.transparency);
  return app;
}
