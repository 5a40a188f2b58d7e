import type { FastifyPluginAsync } from 'fastify';
import { DomainErrors, electionIdFromPath } from '@urna/domain';
import type { IngestDeps } from '../deps.ts';

/** Public reads of elections; creating, opening and closing them are admin routes (admin.ts). */
export const electionRoutes = (deps: IngestDeps): FastifyPluginAsync => async (app) => {
  app.get('/v1/elections', async () => ({ elections: (await deps.elections.list()) }));

  app.get('/v1/elections/:id', async (request) => {
    const id = electionIdFromPath(request.params);
    const election = await deps.elections.get(id);
    if (election === undefined) throw DomainErrors.electionNotFound(id);
    return election;
  });
};
