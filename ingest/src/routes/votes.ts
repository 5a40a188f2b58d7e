import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { acceptsVotes, CastVoteBody, DomainErrors, electionIdFromPath, type Vote } from '@urna/domain';
import { parseBody, toUrnaError } from '@urna/service-kit';
import type { IngestDeps } from '../deps.ts';
import type { AppendBatcher } from '../append-batcher.ts';
import type { IngestMetrics } from '../metrics.ts';
import { principalOf, requireRole } from './authenticate.ts';
import { failureBudget } from '../abuse/rate-limits.ts';
import { ALTCHA_HEADER } from '../abuse/proof-of-work.ts';

/**
 * POST /v1/elections/:id/votes — validates, then answers 202 only once the log holds the vote.
 * Every refusal happens before the append, so a refused request changes nothing.
 */
export const voteRoutes =
  (deps: IngestDeps, batcher: AppendBatcher, metrics: IngestMetrics): FastifyPluginAsync =>
  async (app) => {
    app.setErrorHandler(failureBudget(deps.limits));
    app.post(
      '/v1/elections/:id/votes',
      {
        onRequest: requireRole(deps.verifier, 'voter'),
        // every refusal, whichever stage raised it (auth, parsing, limits, rules, the log)
        onError: async (_request, _reply, error) => void metrics.refused.inc({ code: toUrnaError(error).code }),
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const electionId = electionIdFromPath(request.params);
        const body = parseBody(CastVoteBody, request.body);
        const election = await deps.cache.get(electionId);
        if (election === undefined) throw DomainErrors.electionNotFound(electionId);
        // refused from the moment a close begins; a vote that slips past a stale cache lands after
        // the close marker in its partition and is rejected `after-close` by the projections
        if (!acceptsVotes(election))
          throw DomainErrors.electionNotOpen(
            electionId,
            election.status === 'open' && election.closingAt !== undefined ? 'closing' : election.status,
          );
        if (!election.options.some((o) => o.id === body.optionId)) throw DomainErrors.unknownOption(body.optionId);
        await deps.limits?.checkVote(electionId, principal.userId, election.maxVotesPerSecond);
        if (deps.pow === undefined ? election.challenge === 'pow' : deps.pow.required(election)) {
          if (deps.pow === undefined) throw DomainErrors.challengeInvalid('this ingest has no proof-of-work configured');
          await deps.pow.spend(request.headers[ALTCHA_HEADER], electionId, principal.userId);
        }
        const vote: Vote = { voteId: randomUUID(), electionId, userId: principal.userId, optionId: body.optionId, acceptedAt: Date.now() };
        const logged = await batcher.append(vote);
        metrics.accepted.inc();
        const receipt = deps.receipts?.sign(logged);
        return reply.status(202).send({ voteId: vote.voteId, status: 'accepted', ...(receipt === undefined ? {} : { receipt }) });
      },
    );
  };
