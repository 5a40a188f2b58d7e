import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { isUrnaError, type Election } from '@urna/domain';
import type { ElectionRepository } from '@urna/store';
import type { Lifecycle, LifecycleJobs } from './lifecycle.ts';

export const LIFECYCLE_QUEUE = 'urna-lifecycle';

export interface JobData {
  readonly electionId: string;
  /** The scheduled time the job was made for (open/close): a rescheduled election ignores stale jobs. */
  readonly at?: string;
  /** A late-entries watch tick's number (late-watch.ts). */
  readonly tick?: number;
}

/** Outcome of a job, as `GET /v1/admin/jobs/:id` shows it. */
export type JobResult = Record<string, unknown>;

/**
 * Adds lifecycle jobs with deterministic ids (no ':' — BullMQ refuses it): adding an id that
 * exists in any state, completed and failed included, is ignored by BullMQ, so a repeated
 * schedule or close adds nothing. A delayed job whose time passed while no worker ran fires
 * when a worker next polls (on that worker's clock).
 */
export class BullLifecycleJobs implements LifecycleJobs {
  constructor(readonly queue: Queue<JobData, JobResult>) {}

  async schedule(election: Election): Promise<void> {
    if (election.status === 'draft' && election.opensAt !== undefined) await this.at('open', election.id, election.opensAt);
    if (election.status !== 'closed' && election.closingAt === undefined && election.closesAt !== undefined)
      await this.at('close', election.id, election.closesAt);
  }

  async recount(electionId: string): Promise<void> {
    await this.queue.add(
      'recount',
      { electionId },
      { jobId: `recount-${electionId}`, attempts: 20, backoff: { type: 'fixed', delay: 1_000 } },
    );
  }

  /** One tick of the late-entries watch (late-watch.ts), `delayMs` from now; completed ticks are dropped after an hour. */
  async watchLate(electionId: string, tick: number, delayMs: number): Promise<void> {
    await this.queue.add(
      'late',
      { electionId, tick },
      {
        jobId: `late-${electionId}-${tick}`,
        delay: delayMs,
        attempts: 10,
        backoff: { type: 'fixed', delay: 1_000 },
        removeOnComplete: { age: 3_600 },
      },
    );
  }

  async reprocess(electionId: string): Promise<string> {
    const job = await this.queue.add(
      'reprocess',
      { electionId },
      { jobId: `reprocess-${electionId}-${Date.now().toString(36)}`, attempts: 5, backoff: { type: 'fixed', delay: 1_000 } },
    );
    return job.id as string;
  }

  private async at(name: 'open' | 'close', electionId: string, at: string): Promise<void> {
    const when = Date.parse(at);
    await this.queue.add(
      name,
      { electionId, at },
      {
        jobId: `${name}-${electionId}-${when}`,
        delay: Math.max(0, when - Date.now()),
        attempts: 10,
        backoff: { type: 'exponential', delay: 500 },
      },
    );
  }
}

export interface WorkerDeps {
  readonly connection: ConnectionOptions;
  readonly prefix?: string;
  readonly lifecycle: Lifecycle;
  readonly elections: Pick<ElectionRepository, 'get'>;
  readonly recount: (electionId: string, job: Job<JobData, JobResult>) => Promise<JobResult>;
  readonly reprocess: (electionId: string) => Promise<JobResult>;
  /** A tick of the late-entries watch; absent: such jobs are skipped. */
  readonly watchLate?: (electionId: string, tick: number) => Promise<JobResult>;
  /** A SIGKILLed job is retried once its lock expires (BullMQ's stalled-job check). */
  readonly lockDurationMs?: number;
  readonly concurrency?: number;
}

/** Every handler runs at least once and may run again: each checks state before acting. */
export function startLifecycleWorker(deps: WorkerDeps): Worker<JobData, JobResult> {
  const lockDuration = deps.lockDurationMs ?? 30_000;
  return new Worker<JobData, JobResult>(
    LIFECYCLE_QUEUE,
    async (job) => {
      const { electionId, at } = job.data;
      switch (job.name) {
        case 'open':
        case 'close': {
          const election = await deps.elections.get(electionId);
          if (election === undefined) return { skipped: 'no such election' };
          if ((job.name === 'open' ? election.opensAt : election.closesAt) !== at) return { skipped: 'rescheduled' };
          if (job.name === 'open') {
            if (election.status !== 'draft') return { skipped: `already ${election.status}` };
            return { status: (await openOnSchedule(deps, electionId)).status };
          }
          // a close due on a scheduled draft: its open was due first (opensAt < closesAt), but both
          // jobs fire together when both times passed while no worker ran; the close runs the open
          // itself, then closes, so the election never stays open past its close
          if (election.status === 'draft' && election.opensAt !== undefined) await openOnSchedule(deps, electionId);
          else if (election.status !== 'open') return { skipped: `already ${election.status}` };
          return { status: (await deps.lifecycle.close(electionId, 'scheduler')).status };
        }
        case 'recount':
          return deps.recount(electionId, job);
        case 'reprocess':
          return deps.reprocess(electionId);
        case 'late':
          return deps.watchLate === undefined ? { skipped: 'no late watch here' } : deps.watchLate(electionId, job.data.tick ?? 0);
        default:
          throw new Error(`unknown job ${job.name}`);
      }
    },
    {
      connection: deps.connection,
      ...(deps.prefix === undefined ? {} : { prefix: deps.prefix }),
      concurrency: deps.concurrency ?? 4,
      lockDuration,
      stalledInterval: Math.max(1_000, Math.floor(lockDuration / 2)),
      maxStalledCount: 5,
    },
  );
}

/** The scheduler's open; one that lost to another open (its own close job, an admin) returns the election as it is. */
async function openOnSchedule(deps: Pick<WorkerDeps, 'lifecycle' | 'elections'>, electionId: string): Promise<Election> {
  try {
    return await deps.lifecycle.open(electionId, 'scheduler', { closeFollows: true });
  } catch (error) {
    const now = await deps.elections.get(electionId);
    if (isUrnaError(error) && error.code === 'INVALID_TRANSITION' && now !== undefined && now.status !== 'draft') return now;
    throw error;
  }
}

/**
 * On start: (re)adds every election's schedule (ids make it idempotent) in case a crash came
 * between a write and its job, finishes a close that a crash interrupted or that is overdue, and
 * queues missing recounts.
 */
export async function resumeLifecycle(
  elections: readonly Election[],
  jobs: BullLifecycleJobs,
  lifecycle: Lifecycle,
  hasOfficialResult: (id: string) => Promise<boolean>,
  lateWatch?: { readonly windowMs: number; readonly intervalMs: number },
): Promise<void> {
  const now = Date.now();
  for (const election of elections) {
    await jobs.schedule(election);
    if (election.status === 'open' && election.closingAt !== undefined) await lifecycle.close(election.id, 'scheduler');
    // open past its closesAt with no close begun: a close job that ran before the open (an
    // election a version without the overdue-pair fix left open) is done and will not run again
    else if (election.status === 'open' && election.closesAt !== undefined && Date.parse(election.closesAt) <= now)
      await lifecycle.close(election.id, 'scheduler');
    else if (election.status === 'closed' && !(await hasOfficialResult(election.id))) await jobs.recount(election.id);
    else if (lateWatch !== undefined && election.status === 'closed' && election.closedAt !== undefined) {
      // a watch whose chain was lost with Redis (its ticks are jobs): one more tick, numbered by time
      const since = now - Date.parse(election.closedAt);
      if (since < lateWatch.windowMs) await jobs.watchLate(election.id, Math.ceil(since / lateWatch.intervalMs) + 1, 0);
    }
  }
}
