import type { FastifyRequest } from 'fastify';
import type { Principal, Role, TokenVerifier } from '@urna/auth';

const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * An `onRequest` hook: the token is checked before the body is read or parsed, so an
 * unauthenticated client gets 401 whatever it sends, and costs no parsing.
 */
export const requireRole =
  (verifier: TokenVerifier, role: Role) =>
  async (request: FastifyRequest): Promise<void> => {
    principals.set(request, await verifier.require(request.headers.authorization, role));
  };

/** The principal established by `requireRole` for this request. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (principal === undefined) throw new Error('route is missing its requireRole hook');
  return principal;
}
