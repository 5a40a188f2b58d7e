import type { FastifyPluginAsync } from 'fastify';
import { DomainErrors, electionIdFromPath } from '@urna/domain';
import type { IngestDeps } from '../deps.ts';
import { failureBudget } from '../abuse/rate-limits.ts';
import { principalOf, requireRole } from './authenticate.ts';

/**
 * GET /v1/elections/:id/challenge (voter) — an ALTCHA challenge bound to the caller and the
 * election, plus `required`: whether this election's votes must carry its solution (X-Altcha).
 */
export const challengeRoutes =
  (deps: IngestDeps): FastifyPluginAsync =>
  async (app) => {
    const pow = deps.pow;
    if (pow === undefined) return;
    app.setErrorHandler(failureBudget(deps.limits));
    app.get('/v1/elections/:id/challenge', { onRequest: requireRole(deps.verifier, 'voter') }, async (request, reply) => {
      const principal = principalOf(request);
      const electionId = electionIdFromPath(request.params);
      const election = await deps.cache.get(electionId);
      if (election === undefined) throw DomainErrors.electionNotFound(electionId);
      void reply.header('cache-control', 'no-store');
      return { ...(await pow.issue(election, principal.userId)), required: pow.required(election), expiresIn: pow.settings.ttlSeconds };
    });
  };
