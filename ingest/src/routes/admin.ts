import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { CreateElectionBody, electionIdFromPath, PROJECTION_GROUPS, type Election } from '@urna/domain';
import { parseBody } from '@urna/service-kit';
import type { IngestDeps } from '../deps.ts';
import { requireRole } from './authenticate.ts';

/**
 * Every admin route, in one encapsulated plugin whose `onRequest` hook requires the admin role:
 * a route added here cannot forget the check, and the hook runs before any body is parsed.
 */
export const adminRoutes = (deps: IngestDeps): FastifyPluginAsync => async (app) => {
  app.addHook('onRequest', requireRole(deps.verifier, 'admin'));

  app.post('/v1/elections', async (request, reply) => {
    const body = parseBody(CreateElectionBody, request.body);
    const election: Election = {
      id: body.id ?? randomBytes(6).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x'),
      title: body.title, options: body.options, status: 'draft', createdAt: new Date().toISOString(),
    };
    await deps.elections.create(election);
    await deps.tally.initElection(election.id, election.options.map((o) => o.id));
    await deps.tally.setStatus(election.id, election.status);
    deps.cache.put(election);
    await deps.announce(election.id);
    return reply.status(201).send(election);
  });

  for (const action of ['open', 'close'] as const) {
    app.post(`/v1/elections/:id/${action}`, async (request) => {
      const id = electionIdFromPath(request.params);
      const election = await deps.elections.transition(id, action);
      await deps.tally.setStatus(id, election.status);
      deps.cache.put(election);
      await deps.announce(id);
      return election;
    });
  }

  /** What the admin console shows besides results: how far each projection lags behind the log. */
  app.get('/v1/admin/log', async () => {
    const groups = Object.values(PROJECTION_GROUPS);
    // a log failure is LOG_UNAVAILABLE (503) from the adapter itself
    const backlogs = await Promise.all(groups.map((group) => deps.log.backlog(group)));
    return { partitions: deps.log.partitions, groups: Object.fromEntries(groups.map((group, i) => [group, backlogs[i]])) };
  });
};
