import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { UrnaError } from '@urna/domain';
import type { TokenVerifier } from '@urna/auth';
import { toUrnaError } from '@urna/service-kit';

export const SESSION_COOKIE = 'urna_admin';
export const DASHBOARD_PATH = '/admin/queues';

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * bull-board's page links its fonts from fonts.googleapis.com: a request to a third party from
 * an admin's browser, and one that hangs on a closed network. The link is removed and a CSP
 * keeps the dashboard same-origin, like the console (its own styles fall back to system fonts).
 */
const FOREIGN_FONTS = /<link[^>]+href="https:\/\/fonts\.googleapis\.com[^>]*>\s*/g;
const DASHBOARD_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'";

/** TLS seen by this process or by the edge in front of it (which sets x-forwarded-proto). */
const overTls = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

/**
 * The admin session for the job dashboard: bull-board has no auth of its own and its UI cannot
 * send a bearer token, so `POST /v1/admin/session` (admin bearer token) sets an HttpOnly,
 * SameSite=Strict cookie (Secure over TLS) carrying that token, checked on every dashboard
 * request: no session → 401, a voter's token → 403. SameSite=Strict keeps other sites'
 * requests cookie-less; writes must also come from this origin (Origin header), so the
 * dashboard's retry/clean/promote actions cannot be forged cross-site.
 */
export async function registerDashboard(app: FastifyInstance, queues: readonly Queue[], verifier: TokenVerifier): Promise<void> {
  app.post('/v1/admin/session', async (request, reply) => {
    const principal = await verifier.require(request.headers.authorization, 'admin');
    const token = (request.headers.authorization ?? '').slice('Bearer '.length);
    const attributes = ['HttpOnly', 'SameSite=Strict', 'Path=/', ...(overTls(request) ? ['Secure'] : [])];
    void reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; ${attributes.join('; ')}`);
    return { userId: principal.userId, dashboard: DASHBOARD_PATH };
  });

  const checkSession = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = cookieOf(request, SESSION_COOKIE);
    if (token === undefined) throw new UrnaError('AUTH_REQUIRED', 'sign in as an admin: POST /v1/admin/session', { status: 401 });
    await verifier.require(`Bearer ${token}`, 'admin');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const origin = request.headers.origin;
      if (origin === undefined || new URL(origin).host !== request.headers.host) {
        throw new UrnaError('FORBIDDEN', 'dashboard actions must come from this origin', { status: 403 });
      }
    }
    void reply.header('cache-control', 'no-store');
  };
  // answered here in urna's error shape: bull-board's plugin installs its own error handler
  const requireSession = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await checkSession(request, reply);
    } catch (raw) {
      const error = toUrnaError(raw);
      return reply.status(error.status).send(error.toJSON());
    }
  };

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'urna jobs' } } });
  await app.register(async (scope) => {
    scope.addHook('onRequest', requireSession);
    scope.addHook('onSend', async (_request, reply, payload) => {
      if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
      void reply.header('content-security-policy', DASHBOARD_CSP);
      return payload.replace(FOREIGN_FONTS, '');
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
