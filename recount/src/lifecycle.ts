import { randomBytes } from 'node:crypto';
import { DomainErrors, isUrnaError, type CreateElectionBody, type Election, type ScheduleBody } from '@urna/domain';
import type { VoteLog } from '@urna/log';
import type { AuditLog, ElectionRepository } from '@urna/store';
import type { ElectionConfigs, LiveTally } from '@urna/tally';

/** What the lifecycle asks of the job queue: deterministic ids, so a repeated request adds nothing. */
export interface LifecycleJobs {
  schedule(election: Election): Promise<void>;
  recount(electionId: string): Promise<void>;
}

export interface LifecycleDeps {
  readonly elections: ElectionRepository;
  readonly log: Pick<VoteLog, 'appendCloseMarker'>;
  readonly tally: Pick<LiveTally, 'initElection' | 'setStatus'>;
  readonly configs: Pick<ElectionConfigs, 'put'>;
  /** Tells every ingest process that an election changed (cache invalidation). */
  readonly announce: (electionId: string) => Promise<void>;
  readonly jobs: LifecycleJobs;
  readonly audit: Pick<AuditLog, 'record'>;
}

/**
 * Elections' life: create, schedule, open, close. Every step is idempotent or refused by a
 * conditional write, so a retried job or a double click does nothing twice. The close is
 * decided by the log, not a clock: `closingAt` first (ingest refuses from then on), then a
 * marker on every partition, then `closed`.
 */
export class Lifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  async create(body: CreateElectionBody, actor: string): Promise<Election> {
    refusePastClose(body.closesAt);
    const election: Election = {
      id:
        body.id ??
        randomBytes(6)
          .toString('base64url')
          .replace(/[^A-Za-z0-9]/g, 'x'),
      title: body.title,
      options: body.options,
      status: 'draft',
      createdAt: new Date().toISOString(),
      ...(body.opensAt === undefined ? {} : { opensAt: body.opensAt }),
      ...(body.closesAt === undefined ? {} : { closesAt: body.closesAt }),
      ...(body.resultsVisibility === undefined ? {} : { resultsVisibility: body.resultsVisibility }),
      // abuse settings for the vote path (ingest applies the deployment's defaults where absent)
      ...(body.challenge === undefined ? {} : { challenge: body.challenge }),
      ...(body.challengeCost === undefined ? {} : { challengeCost: body.challengeCost }),
      ...(body.maxVotesPerSecond === undefined ? {} : { maxVotesPerSecond: body.maxVotesPerSecond }),
    };
    await this.deps.elections.create(election);
    await this.deps.tally.initElection(
      election.id,
      election.options.map((o) => o.id),
      election.resultsVisibility ?? 'live',
    );
    await this.deps.tally.setStatus(election.id, election.status);
    await this.publish(election);
    await this.deps.jobs.schedule(election);
    await this.deps.audit.record(actor, 'create', election.id, scheduleOf(election));
    return election;
  }

  /** Validated like a creation; the checks against the stored times are in the repository's conditional write. */
  async schedule(id: string, change: ScheduleBody, actor: string): Promise<Election> {
    refusePastClose(change.closesAt ?? undefined);
    if (typeof change.opensAt === 'string' && typeof change.closesAt === 'string' && change.opensAt >= change.closesAt)
      throw DomainErrors.invalidBody('closesAt: closesAt must be after opensAt');
    const election = await this.settle(await this.deps.elections.schedule(id, change), { status: false });
    await this.deps.jobs.schedule(election);
    await this.deps.audit.record(actor, 'schedule', id, scheduleOf(election));
    return election;
  }

  /**
   * Refuses (409, nothing changed) an admin's open of a draft whose closesAt passed: its close
   * job already ran and found a draft, so it would stay open with no close to come. The
   * scheduler's open passes `closeFollows`: an overdue close job runs (or ran) right after it.
   */
  async open(id: string, actor: string, options: { closeFollows?: boolean } = {}): Promise<Election> {
    if (options.closeFollows !== true) {
      const current = await this.deps.elections.get(id);
      if (current?.status === 'draft' && current.closesAt !== undefined && Date.parse(current.closesAt) <= Date.now())
        throw DomainErrors.closeTimePassed(id, current.closesAt);
    }
    const election = await this.settle(await this.deps.elections.transition(id, 'open'), { status: true });
    await this.deps.jobs.schedule(election);
    // at the open's own time: a close that raced this open's tail (an overdue open and close) is
    // audited after it, whichever process records first
    const openedAt = election.openedAt ?? new Date().toISOString();
    await this.deps.audit.record(actor, 'open', id, {}, { at: openedAt, key: `open#${id}` });
    return election;
  }

  /**
   * Resolves once every partition holds the close marker and the status is `closed`; the
   * recount is then queued. Safe to repeat at any point (a crashed close is finished by the
   * next call): markers appended twice are harmless, the smallest per partition rules.
   */
  async close(id: string, actor: string): Promise<Election> {
    const current = await this.deps.elections.get(id);
    if (current === undefined) throw DomainErrors.electionNotFound(id);
    if (current.status === 'closed') {
      await this.deps.jobs.recount(id);
      return current;
    }
    const closing = await this.deps.elections.beginClose(id);
    if (closing.status === 'closed') return closing;
    // audited when the close begins, under a key of its own: a close retried after a crash at any
    // later step (the job then finds the election closed and skips) is still in the audit, once
    const closingAt = closing.closingAt ?? new Date().toISOString();
    await this.deps.audit.record(actor, 'close', id, {}, { at: closingAt, key: `close#${id}` });
    await this.publish(closing); // ingest processes refuse votes from here on
    await this.deps.log.appendCloseMarker(id, Date.parse(closingAt));
    let closed: Election;
    try {
      closed = await this.deps.elections.transition(id, 'close');
    } catch (error) {
      const now = await this.deps.elections.get(id);
      if (!isUrnaError(error) || now?.status !== 'closed') throw error;
      closed = now; // a concurrent close finished first
    }
    await this.deps.tally.setStatus(id, closed.status);
    await this.publish(closed);
    await this.deps.jobs.recount(id);
    return closed;
  }

  /**
   * Publishes a step's outcome (with the live status when `status`), then reads the election back
   * and publishes again while it moved on: a step racing a close (a scheduled open's tail, a
   * schedule change) could otherwise leave its older state in Redis after the close's. A close
   * writes its own state after its transition, and `closed` is final, so this ends.
   */
  private async settle(election: Election, options: { status: boolean }): Promise<Election> {
    let current = election;
    for (let round = 0; round < 5; round++) {
      if (options.status || round > 0) await this.deps.tally.setStatus(current.id, current.status);
      await this.publish(current);
      const now = await this.deps.elections.get(current.id);
      if (now === undefined || JSON.stringify(now) === JSON.stringify(current)) return current;
      current = now;
    }
    return current;
  }

  /** Writes the config ingest reads (Redis) and drops every ingest cache entry for it. */
  async publish(election: Election): Promise<void> {
    await this.deps.configs.put(election);
    await this.deps.announce(election.id);
  }
}

/**
 * A close time already past is refused (400): an admin giving one means a mistake, and the
 * election would open and close at once. Use `POST …/close` to close now.
 */
function refusePastClose(closesAt: string | undefined): void {
  if (closesAt !== undefined && Date.parse(closesAt) <= Date.now())
    throw DomainErrors.invalidBody('closesAt: closesAt must be in the future');
}

const scheduleOf = (e: Election) => ({
  ...(e.opensAt === undefined ? {} : { opensAt: e.opensAt }),
  ...(e.closesAt === undefined ? {} : { closesAt: e.closesAt }),
});
