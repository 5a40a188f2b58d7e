import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import { CreateElectionBody, DomainErrors, electionIdFromPath, isAfterClose, ScheduleBody, UserId } from '@urna/domain';
import type { TokenVerifier } from '@urna/auth';
import type { AuditLog, ElectionRepository, VoteStore } from '@urna/store';
import { createHttpApp, parseBody, type HttpTimeouts } from '@urna/service-kit';
import { principalOf, requireRole } from './authenticate.ts';
import type { BullLifecycleJobs, JobData, JobResult } from './jobs.ts';
import type { ElectionConfigs } from '@urna/tally';
import type { Lifecycle } from './lifecycle.ts';
import { registerDashboard } from './dashboard.ts';
import type { AcceptedRates } from './accepted-rate.ts';

export interface RecountAppDeps {
  readonly lifecycle: Lifecycle;
  readonly elections: Pick<ElectionRepository, 'get'>;
  /** The listing index the lifecycle keeps in Redis (GET /v1/elections reads nothing else). */
  readonly listing: Pick<ElectionConfigs, 'list'>;
  readonly store: Pick<VoteStore, 'votesOf' | 'closeMarkers'>;
  readonly jobs: Pick<BullLifecycleJobs, 'reprocess'>;
  /** The lifecycle queue: jobs endpoint and the bull-board dashboard at /admin/queues. */
  readonly queue: Queue<JobData, JobResult>;
  readonly audit: Pick<AuditLog, 'record' | 'newest'>;
  /** Accepted votes/s of all ingest processes, sampled off the live read model (the console's figure). */
  readonly rates: Pick<AcceptedRates, 'report' | 'stop'>;
  readonly verifier: TokenVerifier;
  readonly registry: Registry;
  readonly logger?: boolean | object;
  /** Socket limits (service-kit HTTP_TIMEOUT_DEFAULTS when absent). */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
}

/** The lifecycle side's HTTP face: elections admin (create, schedule, open, close) and audit. */
export function buildRecountApp(deps: RecountAppDeps): FastifyInstance {
  const app = createHttpApp({
    service: 'recount',
    registry: deps.registry,
    logger: deps.logger ?? false,
    bodyLimit: 16 * 1024,
    ...(deps.httpTimeouts === undefined ? {} : { timeouts: deps.httpTimeouts }),
  });
  const admin = { onRequest: requireRole(deps.verifier, 'admin') };

  app.post('/v1/elections', admin, async (request, reply) => {
    const body = parseBody(CreateElectionBody, request.body);
    return reply.status(201).send(await deps.lifecycle.create(body, principalOf(request).userId));
  });

  /** No scan: the newest elections from the lifecycle's index; drafts only for an admin's token. */
  app.get('/v1/elections', async (request) => {
    const authorization = request.headers.authorization;
    const admin = authorization !== undefined && (await deps.verifier.verify(authorization).catch(() => undefined))?.role === 'admin';
    return { elections: await deps.listing.list({ drafts: admin }) };
  });

  app.get('/v1/elections/:id', async (request) => {
    const id = electionIdFromPath(request.params);
    const election = await deps.elections.get(id);
    if (election === undefined) throw DomainErrors.electionNotFound(id);
    return election;
  });

  app.post('/v1/elections/:id/schedule', admin, async (request) => {
    const id = electionIdFromPath(request.params);
    return deps.lifecycle.schedule(id, parseBody(ScheduleBody, request.body), principalOf(request).userId);
  });

  app.post('/v1/elections/:id/open', admin, async (request) =>
    deps.lifecycle.open(electionIdFromPath(request.params), principalOf(request).userId),
  );
  app.post('/v1/elections/:id/close', admin, async (request) =>
    deps.lifecycle.close(electionIdFromPath(request.params), principalOf(request).userId),
  );

  /** A voter's whole history from DynamoDB, each vote with the status the recount gives it. */
  app.get('/v1/admin/elections/:id/voters/:userId/votes', admin, async (request) => {
    const id = electionIdFromPath(request.params);
    const user = UserId.safeParse((request.params as { userId?: unknown }).userId);
    if (!user.success) throw DomainErrors.invalidBody('userId: not a valid user id');
    const [votes, closeAt] = await Promise.all([deps.store.votesOf(id, user.data), deps.store.closeMarkers(id)]);
    let counted = false;
    await deps.audit.record(principalOf(request).userId, 'audit-voter', id, { userId: user.data });
    return {
      votes: votes.map((v) => {
        const base = { voteId: v.voteId, optionId: v.optionId, position: v.position, acceptedAt: new Date(v.acceptedAt).toISOString() };
        if (isAfterClose(v.position, closeAt.get(v.partition))) return { ...base, status: 'rejected', reason: 'after-close' };
        if (counted) return { ...base, status: 'rejected', reason: 'duplicate' };
        counted = true;
        return { ...base, status: 'counted' };
      }),
    };
  });

  app.post('/v1/admin/elections/:id/reprocess', admin, async (request, reply) => {
    const id = electionIdFromPath(request.params);
    if ((await deps.elections.get(id)) === undefined) throw DomainErrors.electionNotFound(id);
    const jobId = await deps.jobs.reprocess(id);
    await deps.audit.record(principalOf(request).userId, 'reprocess', id, { jobId });
    return reply.status(202).send({ jobId });
  });

  app.get('/v1/admin/jobs/:jobId', admin, async (request) => {
    const jobId = String((request.params as { jobId?: unknown }).jobId);
    const found = /^[A-Za-z0-9_-]{1,200}$/.test(jobId) ? await deps.queue.getJob(jobId) : undefined;
    if (found === undefined || found === null) throw DomainErrors.jobNotFound(jobId);
    const state = await found.getState();
    // the job's fields were read before its state: one that finished in between would read
    // `completed` without its result, so a finished job's fields are read again after the state
    const job = state === 'completed' || state === 'failed' ? ((await deps.queue.getJob(jobId)) ?? found) : found;
    return {
      state,
      ...(job.returnvalue === null || job.returnvalue === undefined ? {} : { result: job.returnvalue }),
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  });

  app.get('/v1/admin/elections/:id/rate', admin, async (request) => {
    const id = electionIdFromPath(request.params);
    const report = await deps.rates.report(id);
    if (report === undefined) throw DomainErrors.electionNotFound(id);
    return report;
  });
  app.addHook('onClose', async () => deps.rates.stop());

  app.get('/v1/admin/audit', admin, async () => ({ actions: await deps.audit.newest() }));
  void app.register(async (scope) => registerDashboard(scope, [deps.queue], deps.verifier));
  return app;
}
