import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { DomainErrors, isUrnaError, UrnaError } from '@urna/domain';
import { Counter, type Registry } from 'prom-client';
import type { z } from 'zod';

/**
 * Socket-level limits of every service, so a slow or idle client is cut even without the edge
 * in front (the edge has its own, tighter ones). Node checks the header and request deadlines
 * every `checkIntervalMs`.
 */
export interface HttpTimeouts {
  /** The request line and headers must arrive within this (slowloris). */
  readonly headersMs: number;
  /** The whole request, body included, must arrive within this (a slowly sent body). */
  readonly requestMs: number;
  /** An idle keep-alive connection is closed after this; above the edge's upstream keepalive_timeout (60 s), so the edge never reuses a socket the service is closing. */
  readonly keepAliveMs: number;
  /** A socket with no traffic either way for this long is destroyed (SSE heartbeats every 15 s keep streams alive). */
  readonly idleMs: number;
  readonly checkIntervalMs: number;
}

export const HTTP_TIMEOUT_DEFAULTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 15_000,
  keepAliveMs: 65_000,
  idleMs: 120_000,
  checkIntervalMs: 1_000,
};

export interface HttpAppOptions {
  readonly service: string;
  readonly registry: Registry;
  readonly logger?: FastifyServerOptions['logger'];
  /**
   * Largest accepted request body; larger bodies get 413 before being parsed.
   * @defaultValue 16 KiB
   */
  readonly bodyLimit?: number;
  /** Proxies whose X-Forwarded-For sets `request.ip` (the edge); none by default. */
  readonly trustProxy?: string;
  /** Extra readiness check for /healthz. */
  readonly health?: () => Promise<Record<string, unknown>>;
  /** @defaultValue HTTP_TIMEOUT_DEFAULTS */
  readonly timeouts?: Partial<HttpTimeouts>;
}

/** Longest path parameter the router passes to a route (fastify's default is 100). */
const MAX_PARAM_LENGTH = 512;

/** Any error thrown in a request, as the UrnaError the client receives. */
export function toUrnaError(raw: unknown): UrnaError {
  return isUrnaError(raw) ? raw : fromFastifyError(raw as { code?: string; statusCode?: number; message: string });
}

/** Maps fastify's own errors (parsing, limits) to urna's error shape. */
function fromFastifyError(error: { code?: string; statusCode?: number; message: string }): UrnaError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new UrnaError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UrnaError('UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new UrnaError('INVALID_JSON', 'request body is not valid JSON');
    default:
      break;
  }
  if (error instanceof SyntaxError) return new UrnaError('INVALID_JSON', 'request body is not valid JSON');
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new UrnaError('BAD_REQUEST', error.message, { status });
  return new UrnaError('INTERNAL', 'internal error', { cause: error });
}

/**
 * A fastify app with urna's conventions: every error is `{ "error": { "code", "message" } }`
 * with the right status (503s carry Retry-After), unknown routes are 404 in the same shape,
 * and `/healthz` and `/metrics` exist.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const timeouts = { ...HTTP_TIMEOUT_DEFAULTS, ...options.timeouts };
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    return503OnClosing: true,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
    // path parameters reach the routes up to 512 characters (ids are at most 100; DynamoDB keys
    // allow 1–2 KiB), so a long id gets the route's own answer (404 unknown election, 400 invalid
    // id) instead of the router's 414 in fastify's shape
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // the router's own refusals (a malformed or over-long URL) in urna's error shape
    frameworkErrors: (error, _request, reply) => {
      const urna =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new UrnaError('URI_TOO_LONG', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`)
          : new UrnaError('BAD_REQUEST', 'malformed request URL');
      void (reply as FastifyReply).status(urna.status).send(urna.toJSON());
    },
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
  // JSON only: without this fastify parses text/plain bodies into strings, so a vote sent as
  // text/plain got 400 INVALID_BODY instead of 415 like every other media type
  app.removeContentTypeParser('text/plain');
  // a 5xx is logged with its cause; during an outage (a retriable 5xx: the log or the store
  // down) every request fails the same way, so one line per code per second says so, with how
  // many refusals it stands for, instead of a stack trace per request
  const outages = new Map<string, { loggedAt: number; since: number }>();
  app.setErrorHandler((raw, request, reply) => {
    const error = toUrnaError(raw);
    if (error.status >= 500 && !error.retriable) request.log.error({ err: raw }, error.message);
    else if (error.status >= 500) {
      const now = Date.now();
      const seen = outages.get(error.code) ?? { loggedAt: 0, since: 0 };
      seen.since++;
      if (now - seen.loggedAt >= 1_000) {
        request.log.error({ code: error.code, refusals: seen.since, cause: String(error.cause ?? '') }, error.message);
        seen.loggedAt = now;
        seen.since = 0;
      }
      outages.set(error.code, seen);
    }
    if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.status(error.status).send(error.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(new UrnaError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON()),
  );
  // every response by status code (5xx rate, refusals at a glance); /healthz and /metrics included
  const responses =
    (options.registry.getSingleMetric('urna_http_responses_total') as Counter<'code'> | undefined) ??
    new Counter({
      name: 'urna_http_responses_total',
      help: 'HTTP responses sent, by status code',
      labelNames: ['code'],
      registers: [options.registry],
    });
  // a callback hook, not an async one: no promise per request on the vote path
  app.addHook('onResponse', (_request, reply, done) => {
    responses.inc({ code: String(reply.statusCode) });
    done();
  });
  app.get('/healthz', async () => ({ status: 'ok', service: options.service, ...(await options.health?.()) }));
  app.get('/metrics', async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));
  return app;
}

/** Parses a request body with a zod schema; any violation is a 400 INVALID_BODY naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
  throw DomainErrors.invalidBody(detail);
}
