import type { FastifyPluginAsync } from 'fastify';
import { PROJECTION_GROUPS } from '@urna/domain';
import type { IngestDeps } from '../deps.ts';
import { requireRole } from './authenticate.ts';

/** What the admin console shows besides results: how far each projection lags behind the log. */
export const adminRoutes = (deps: IngestDeps): FastifyPluginAsync => async (app) => {
  app.get('/v1/admin/log', { onRequest: requireRole(deps.verifier, 'admin') }, async () => {
    const groups = Object.values(PROJECTION_GROUPS);
    // a log failure is LOG_UNAVAILABLE (503) from the adapter itself
    const backlogs = await Promise.all(groups.map((group) => deps.log.backlog(group)));
    return { partitions: deps.log.partitions, groups: Object.fromEntries(groups.map((group, i) => [group, backlogs[i]])) };
  });
};
