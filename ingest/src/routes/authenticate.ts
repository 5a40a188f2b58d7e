import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal, Role, TokenVerifier } from '@urna/auth';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a `requireRole` hook; null on routes without one. */
    principal: Principal | null;
  }
}

/** Declares `request.principal` once on the app (before the routes are registered). */
export function decoratePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

/**
 * An `onRequest` hook: the token is checked before the body is read or parsed, so an
 * unauthenticated client gets 401 whatever it sends, and costs no parsing.
 */
export const requireRole =
  (verifier: TokenVerifier, role: Role) =>
  async (request: FastifyRequest): Promise<void> => {
    request.principal = await verifier.require(request.headers.authorization, role);
  };

/** The principal established by `requireRole` for this request. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error('route is missing its requireRole hook');
  return request.principal;
}
