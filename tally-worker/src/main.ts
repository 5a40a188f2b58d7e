import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { LiveTally } from '@urna/tally';
import { openVoteLog } from '@urna/log';
import { createHttpApp, createRegistry, httpTimeoutsOf, onShutdown, patientRedis } from '@urna/service-kit';
import { readWorkerConfig } from './config.ts';
import { liveTallyProjection, voteStoreProjection, type Projection } from './projections.ts';
import { startWorker } from './worker.ts';

const config = readWorkerConfig();
const registry = createRegistry(`tally-worker-${config.URNA_PROJECTION}`);
const redis = patientRedis(config.URNA_REDIS_URL);
const log = await openVoteLog(config, 'worker', {
  redis: () => patientRedis(config.URNA_REDIS_URL),
  connect: () => patientRedis(config.URNA_REDIS_URL),
});
const dynamo = createDynamoClient({ endpoint: config.URNA_DYNAMODB_ENDPOINT, region: config.URNA_AWS_REGION });

let projection: Projection;
if (config.URNA_PROJECTION === 'live') {
  const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS });
  await tally.loadScripts();
  projection = liveTallyProjection(tally);
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
  ...(config.URNA_FAULT_CRASH_AFTER_BATCHES === undefined ? {} : { crashAfterBatches: config.URNA_FAULT_CRASH_AFTER_BATCHES }),
  onError: (error) => app.log.warn({ err: error }, 'batch failed; it will be redelivered'),
});
await app.listen({ host: config.URNA_HOST, port: config.URNA_WORKER_PORT });
app.log.info(`projection ${projection.name} consuming as ${config.workerName}`);

onShutdown(
  async () => {
    await worker.stop();
    await log.close();
    await app.close();
    redis.disconnect();
    dynamo.destroy();
  },
  (m) => app.log.info(m),
);
