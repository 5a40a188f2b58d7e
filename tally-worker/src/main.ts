import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { LiveTally } from '@urna/tally';
import { openVoteLog } from '@urna/log';
import {
  armFailpoints,
  createHttpApp,
  createRegistry,
  httpTimeoutsOf,
  onShutdown,
  patientRedis,
  readModelRedis,
  exitOnConfigError,
} from '@urna/service-kit';
import { readWorkerConfig } from './config.ts';
import { TRANSPARENCY_GROUP, liveTallyProjection, voteStoreProjection, type Projection } from './projections.ts';
import { startWorker } from './worker.ts';
import { signerFromSkey } from '@urna/transparency';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { TransparencyProjection } from './transparency-projection.ts';
import { liveBatchMetrics } from './live-metrics.ts';

exitOnConfigError();

const config = readWorkerConfig();
// tests only: URNA_FAILPOINTS (refused with URNA_MODE=production)
const failpoints = armFailpoints();
const registry = createRegistry(`tally-worker-${config.URNA_PROJECTION}`);
// the read model may be a Redis Cluster (URNA_REDIS_CLUSTER); the Redis log stays on URNA_REDIS_URL
const redis = await readModelRedis(config, 'patient');
const log = await openVoteLog(config, 'worker', {
  redis: () => patientRedis(config.URNA_REDIS_URL),
  connect: () => patientRedis(config.URNA_REDIS_URL),
});
const dynamo = createDynamoClient({ endpoint: config.URNA_DYNAMODB_ENDPOINT, region: config.URNA_AWS_REGION });

let projection: Projection;
let transparency: TransparencyProjection | undefined;
if (config.URNA_PROJECTION === 'transparency') {
  const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS, subShards: config.URNA_TALLY_SUBSHARDS });
  projection = transparency = new TransparencyProjection(TRANSPARENCY_GROUP, {
    logs: new RedisElectionLogs(redis),
    signer: signerFromSkey(config.URNA_TRANSPARENCY_KEY as string),
    rootSecret: Buffer.from(config.URNA_PSEUDONYM_SECRET as string, 'base64url'),
    partitions: config.URNA_LOG_PARTITIONS,
    closingScope: config.URNA_LOG === 'kafka' ? `kafka:${config.URNA_KAFKA_TOPIC}` : `redis:${config.URNA_LOG_PREFIX}`,
    // hidden results: the committed reconciliation cuts the final checkpoints before the reveal
    reconciliation: async (electionId) =>
      (await tally.reconciliation(electionId)) ??
      (await tally
        .commitmentOf(electionId)
        .then((c) => (c === undefined ? undefined : (JSON.parse(c.opening) as { reconciliation: string }).reconciliation))),
    checkpointIntervalMs: config.URNA_CHECKPOINT_INTERVAL_MS,
  });
} else if (config.URNA_PROJECTION === 'live') {
  const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS, subShards: config.URNA_TALLY_SUBSHARDS });
  await tally.loadScripts();
  projection = liveTallyProjection(tally, liveBatchMetrics(registry));
} else {
  projection = voteStoreProjection(
    new VoteStore({
      client: dynamo,
      table: tableNames(config.URNA_TABLE_PREFIX).votes,
      mode: config.URNA_STORE_WRITE_MODE,
      concurrency: config.URNA_STORE_CONCURRENCY,
      shards: config.URNA_STORE_SHARDS,
      logPartitions: config.URNA_LOG_PARTITIONS,
    }),
  );
}

const app = createHttpApp({
  service: `tally-worker-${config.URNA_PROJECTION}`,
  registry,
  logger: { level: config.URNA_LOG_LEVEL },
  timeouts: httpTimeoutsOf(config),
});
const worker = await startWorker({
  log,
  projection,
  consumer: config.workerName,
  registry,
  batchSize: config.URNA_WORKER_BATCH,
  claimIdleMs: config.URNA_WORKER_CLAIM_IDLE_MS,
  ...(config.URNA_WORKER_PARTITIONS === undefined ? {} : { partitions: config.URNA_WORKER_PARTITIONS }),
  ...(config.URNA_WORKER_LEASE_MS === 0 ? {} : { leaseMs: config.URNA_WORKER_LEASE_MS }),
  ...(config.URNA_FAULT_CRASH_AFTER_BATCHES === undefined ? {} : { crashAfterBatches: config.URNA_FAULT_CRASH_AFTER_BATCHES }),
  onError: (error) => app.log.warn({ err: error }, 'batch failed; it will be redelivered'),
});
await app.listen({ host: config.URNA_HOST, port: config.URNA_WORKER_PORT });
app.log.info(`projection ${projection.name} consuming as ${config.workerName}`);
if (failpoints.size > 0) app.log.warn({ failpoints: Object.fromEntries(failpoints) }, 'failpoints armed (tests only)');
// checkpoints while trees grow, final checkpoints once results are official (one tick at a time)
let ticking = false;
const ticker =
  transparency === undefined
    ? undefined
    : setInterval(
        () => {
          if (ticking) return;
          ticking = true;
          transparency
            .tick()
            .catch((error: unknown) => app.log.warn({ err: error }, 'checkpoint tick failed; retried at the next one'))
            .finally(() => (ticking = false));
        },
        Math.min(250, config.URNA_CHECKPOINT_INTERVAL_MS),
      );

onShutdown(
  async () => {
    clearInterval(ticker);
    await worker.stop();
    await log.close();
    await app.close();
    redis.disconnect();
    dynamo.destroy();
  },
  (m) => app.log.info(m),
);
