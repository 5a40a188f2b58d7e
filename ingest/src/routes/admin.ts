import type { FastifyPluginAsync } from 'fastify';
import { PROJECTION_GROUPS, TRANSPARENCY_GROUP } from '@urna/domain';
import type { IngestDeps } from '../deps.ts';
import { requireRole } from './authenticate.ts';

/**
 * Ingest's admin routes (creating, scheduling, opening and closing elections belong to the
 * lifecycle service, recount/), in one encapsulated plugin whose `onRequest` hook requires the admin role:
 * a route added here cannot forget the check, and the hook runs before any body is parsed.
 */
export const adminRoutes =
  (deps: IngestDeps): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', requireRole(deps.verifier, 'admin'));

    /** What the admin console shows besides results: how far each projection lags behind the log. */
    app.get('/v1/admin/log', async () => {
      const groups = [...Object.values(PROJECTION_GROUPS), TRANSPARENCY_GROUP];
      // a log failure is LOG_UNAVAILABLE (503) from the adapter itself
      const backlogs = await Promise.all(groups.map((group) => deps.log.backlog(group)));
      return { partitions: deps.log.partitions, groups: Object.fromEntries(groups.map((group, i) => [group, backlogs[i]])) };
    });
  };
