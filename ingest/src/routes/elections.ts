import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { CreateElectionBody, DomainErrors, electionIdFromPath, type Election } from '@urna/domain';
import { parseBody } from '@urna/service-kit';
import type { IngestDeps } from '../deps.ts';
import { requireRole } from './authenticate.ts';

export const electionRoutes = (deps: IngestDeps): FastifyPluginAsync => async (app) => {
  const admin = { onRequest: requireRole(deps.verifier, 'admin') };
  app.post('/v1/elections', admin, async (request, reply) => {
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

  app.get('/v1/elections', async () => ({ elections: (await deps.elections.list()) }));

  app.get('/v1/elections/:id', async (request) => {
    const id = electionIdFromPath(request.params);
    const election = await deps.elections.get(id);
    if (election === undefined) throw DomainErrors.electionNotFound(id);
    return election;
  });

  for (const action of ['open', 'close'] as const) {
    app.post(`/v1/elections/:id/${action}`, admin, async (request) => {
      const id = electionIdFromPath(request.params);
      const election = await deps.elections.transition(id, action);
      await deps.tally.setStatus(id, election.status);
      deps.cache.put(election);
      await deps.announce(id);
      return election;
    });
  }
};
