import { ElectionConfigs, LiveTally } from '@urna/tally';
import { DevIssuer, verifierFromConfig } from '@urna/auth';
import { openVoteLog } from '@urna/log';
import { createRegistry, failFastRedis, onShutdown, patientRedis } from '@urna/service-kit';
import { buildIngestApp } from './app.ts';
import { readIngestConfig } from './config.ts';
import { ElectionCache } from './election-cache.ts';
import { followElectionChanges } from './election-changes.ts';

const config = readIngestConfig();
const redis = failFastRedis(config.URNA_REDIS_URL);
const subscriber = patientRedis(config.URNA_REDIS_URL);
const cache = new ElectionCache(new ElectionConfigs(redis));
const log = await openVoteLog(config, 'ingest', { redis: () => failFastRedis(config.URNA_REDIS_URL), connect: () => patientRedis(config.URNA_REDIS_URL) });
const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS });
if (config.URNA_DEV_MODE && config.URNA_DEV_ISSUER_KEY === undefined) throw new Error('invalid configuration:\n  URNA_DEV_ISSUER_KEY: required when URNA_DEV_MODE=1');

const app = buildIngestApp({
  log, cache, tally,
  verifier: verifierFromConfig(config),
  registry: createRegistry('ingest'),
  logger: { level: config.URNA_LOG_LEVEL },
  bodyLimit: config.URNA_BODY_LIMIT,
  maxAppendBatch: config.URNA_APPEND_MAX_BATCH,
  appendLingerMs: config.URNA_APPEND_LINGER_MS,
  ...(config.URNA_VOTING_TOKEN_SECRET === undefined ? {} : { votingTokens: { secret: config.URNA_VOTING_TOKEN_SECRET, ttlSeconds: config.URNA_VOTING_TOKEN_TTL } }),
  ...(config.URNA_DEV_MODE && config.URNA_DEV_ISSUER_KEY !== undefined ? { devIssuer: await DevIssuer.fromJwk(config.URNA_DEV_ISSUER_KEY) } : {}),
});

await followElectionChanges(subscriber, cache);

await app.listen({ host: config.URNA_HOST, port: config.URNA_INGEST_PORT });
onShutdown(async () => {
  await app.close();
  await log.close();
  redis.disconnect();
  subscriber.disconnect();
}, (m) => app.log.info(m));
