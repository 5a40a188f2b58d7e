import type { FastifyPluginAsync } from 'fastify';
import { PROJECTION_GROUPS } from '@urna/domain';
import { LogErrors } from '@urna/log';
import type { IngestDeps } from '../app.ts';
import { requireRole } from './authenticate.ts';

/** What the admin console shows besides results: how far each projection lags behind the log. */
export const adminRoutes = (deps: IngestDeps): FastifyPluginAsync => async (app) => {
  app.get('/v1/admin/log', { onRequest: requireRole(deps.verifier, 'admin') }, async () => {
    const groups: Record<string, { undelivered: number; pending: number }> = {};
    for (const group of Object.values(PROJECTION_GROUPS)) {
      try {
        groups[group] = await deps.log.backlog(group);
      } catch (error) {
        throw LogErrors.unavailable(error);
      }
    }
    return { partitions: deps.log.partitions, groups };
  });
};
