import { Queue } from 'bullmq';
import { AuditLog, createDynamoClient, ElectionRepository, tableNames, VoteStore } from '@urna/store';
import { ElectionConfigs, LiveTally } from '@urna/tally';
import { ELECTION_CHANGED_CHANNEL, UrnaError } from '@urna/domain';
import { verifierFromConfig } from '@urna/auth';
import { openVoteLog } from '@urna/log';
import {
  armFailpoints,
  createRegistry,
  failFastRedis,
  httpTimeoutsOf,
  onShutdown,
  patientRedis,
  readModelRedis,
  exitOnConfigError,
} from '@urna/service-kit';
import { buildRecountApp } from './app.ts';
import { readRecountConfig } from './config.ts';
import { BullLifecycleJobs, LIFECYCLE_QUEUE, resumeLifecycle, startLifecycleWorker, type JobData, type JobResult } from './jobs.ts';
import { Lifecycle } from './lifecycle.ts';
import { recountMetrics, runRecount } from './recount.ts';
import { runReprocess } from './reprocess.ts';
import { requireNoEviction } from './redis-policy.ts';
import { AcceptedRates } from './accepted-rate.ts';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { lateWatchMetrics, watchLateEntries, type LateWatchDeps } from './late-watch.ts';

exitOnConfigError();

const config = readRecountConfig();
// tests only: URNA_FAILPOINTS (refused with URNA_MODE=production)
const failpoints = armFailpoints();
// the read model and BullMQ may be on a Redis Cluster (URNA_REDIS_CLUSTER); the Redis log stays on URNA_REDIS_URL
const redis = await readModelRedis(config, 'patient');
await requireNoEviction(redis);
// BullMQ's scripts touch several keys of a queue: on a cluster its documented hash-tagged prefix keeps them in one slot
const queuePrefix = config.URNA_REDIS_CLUSTER === undefined ? config.URNA_QUEUE_PREFIX : `{${config.URNA_QUEUE_PREFIX}}`;
const dynamo = createDynamoClient({ endpoint: config.URNA_DYNAMODB_ENDPOINT, region: config.URNA_AWS_REGION });
const tables = tableNames(config.URNA_TABLE_PREFIX);
const elections = new ElectionRepository(dynamo, tables.elections);
const store = new VoteStore({
  client: dynamo,
  table: tables.votes,
  shards: config.URNA_STORE_SHARDS,
  logPartitions: config.URNA_LOG_PARTITIONS,
});
const audit = new AuditLog(dynamo, tables.votes);
const log = await openVoteLog(config, 'ingest', {
  redis: () => failFastRedis(config.URNA_REDIS_URL),
  connect: () => patientRedis(config.URNA_REDIS_URL),
});
const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS, subShards: config.URNA_TALLY_SUBSHARDS });
const registry = createRegistry('recount');
const metrics = recountMetrics(registry);
const queue = new Queue<JobData, JobResult>(LIFECYCLE_QUEUE, { connection: redis, prefix: queuePrefix });
const jobs = new BullLifecycleJobs(queue);
const configs = new ElectionConfigs(redis);
const lifecycle = new Lifecycle({
  elections,
  log,
  tally,
  configs,
  audit,
  jobs,
  announce: async (id) => void (await redis.publish(ELECTION_CHANGED_CHANNEL, id)),
});
const app = buildRecountApp({
  httpTimeouts: httpTimeoutsOf(config),
  lifecycle,
  elections,
  listing: configs,
  store,
  jobs,
  queue,
  audit,
  rates: new AcceptedRates({ tally }),
  verifier: verifierFromConfig(config),
  registry,
  logger: { level: config.URNA_LOG_LEVEL },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const transparencyLogs = new RedisElectionLogs(redis);
const recountDeps = {
  elections,
  // hidden results: the commitment and the final checkpoints before the reveal (bounded: a
  // deployment without the transparency projection reveals after URNA_REVEAL_WAIT_MS)
  finalCheckpointsCut: async (id: string) => {
    const deadline = Date.now() + config.URNA_REVEAL_WAIT_MS;
    while ((await transparencyLogs.finalSizes(id)).size < config.URNA_LOG_PARTITIONS && Date.now() < deadline) await sleep(250);
  },
  store,
  tally,
  metrics,
  partitions: config.URNA_LOG_PARTITIONS,
  onMismatch: (id: string, live: Record<string, number>, official: Record<string, number>) =>
    app.log.warn({ election: id, live, official }, 'ALERT: live tally differs from the official recount; the recount wins'),
};
const lateWatch: LateWatchDeps = {
  elections,
  tally,
  recount: (electionId) => runRecount(electionId, recountDeps),
  next: (electionId, tick, delayMs) => jobs.watchLate(electionId, tick, delayMs),
  windowMs: config.URNA_LATE_WATCH_MS,
  intervalMs: config.URNA_LATE_WATCH_INTERVAL_MS,
  metrics: lateWatchMetrics(registry),
  onUnreconciled: (id, seen, reconciled) =>
    app.log.warn({ election: id, seen, reconciled }, 'ALERT: after-close votes reached the log after the late-entries watch ended'),
};
const worker = startLifecycleWorker({
  connection: await readModelRedis(config, 'patient'),
  lifecycle,
  elections,
  lockDurationMs: config.URNA_RECOUNT_LOCK_MS,
  prefix: queuePrefix,
  recount: async (electionId) => {
    const deadline = Date.now() + config.URNA_RECOUNT_WAIT_MS;
    for (;;) {
      try {
        if (
          config.URNA_FAULT_RECOUNT_CRASH_ONCE === '1' &&
          (await redis.set(`${config.URNA_QUEUE_PREFIX}-fault-crashed-${electionId}`, '1', 'NX')) === 'OK'
        ) {
          await store.tally(electionId); // the fold runs, then the process dies before writing anything
          process.kill(process.pid, 'SIGKILL');
        }
        const outcome = await runRecount(electionId, recountDeps);
        if (config.URNA_LATE_WATCH_MS > 0) await jobs.watchLate(electionId, 1, config.URNA_LATE_WATCH_INTERVAL_MS);
        return { published: outcome.published, official: JSON.parse(outcome.official) as unknown };
      } catch (error) {
        if (!(error instanceof UrnaError) || error.code !== 'RECOUNT_NOT_READY' || Date.now() > deadline) throw error;
        await sleep(250);
      }
    }
  },
  reprocess: (electionId) => runReprocess(electionId, { elections, store, tally }),
  watchLate: (electionId, tick) => watchLateEntries(electionId, tick, lateWatch),
});
worker.on('failed', (job, error) => app.log.warn({ job: job?.id, err: error }, 'lifecycle job failed (BullMQ retries it)'));
// one read of the elections table at start-up (never per request): resume schedules, and index
// elections written before the listing index existed
const known = await elections.list();
await configs.reindex(known);
await resumeLifecycle(known, jobs, lifecycle, async (id) => (await elections.officialResult(id)) !== undefined, {
  windowMs: config.URNA_LATE_WATCH_MS,
  intervalMs: config.URNA_LATE_WATCH_INTERVAL_MS,
});

await app.listen({ host: config.URNA_HOST, port: config.URNA_RECOUNT_PORT });
if (failpoints.size > 0) app.log.warn({ failpoints: Object.fromEntries(failpoints) }, 'failpoints armed (tests only)');
onShutdown(
  async () => {
    await app.close();
    await worker.close();
    await queue.close();
    await log.close();
    redis.disconnect();
    dynamo.destroy();
  },
  (m) => app.log.info(m),
);
