import { createHmac } from 'node:crypto';
import { ElectionConfigs, LiveTally } from '@urna/tally';
import { DevIssuer, verifierFromConfig } from '@urna/auth';
import { openVoteLog } from '@urna/log';
import {
  createRegistry,
  failFastRedis,
  httpTimeoutsOf,
  onShutdown,
  patientRedis,
  readModelRedis,
  exitOnConfigError,
} from '@urna/service-kit';
import { buildIngestApp } from './app.ts';
import { readIngestConfig } from './config.ts';
import { ElectionCache } from './election-cache.ts';
import { RateLimits } from './abuse/rate-limits.ts';
import { ProofOfWork } from './abuse/proof-of-work.ts';
import { followElectionChanges } from './election-changes.ts';
import { signerFromSkey } from '@urna/transparency';
import { ReceiptSigner } from './receipts.ts';

exitOnConfigError();

const config = readIngestConfig();
// the read model (tally, configs, limits, notices) may be a Redis Cluster; the Redis log stays on URNA_REDIS_URL
const redis = await readModelRedis(config, 'fail-fast');
const subscriber = await readModelRedis(config, 'patient');
const cache = new ElectionCache(new ElectionConfigs(redis));
const log = await openVoteLog(config, 'ingest', {
  redis: () => failFastRedis(config.URNA_REDIS_URL),
  connect: () => patientRedis(config.URNA_REDIS_URL),
});
const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS, subShards: config.URNA_TALLY_SUBSHARDS });
if (config.URNA_DEV_MODE && config.URNA_DEV_ISSUER_KEY === undefined)
  throw new Error('invalid configuration:\n  URNA_DEV_ISSUER_KEY: required when URNA_DEV_MODE=1');

const registry = createRegistry('ingest');
const limits = new RateLimits(
  redis,
  {
    userVotes: config.URNA_RL_USER_VOTES,
    userWindowSeconds: config.URNA_RL_USER_WINDOW_S,
    ipFailures: config.URNA_RL_IP_FAILURES,
    ipFailuresWindowSeconds: config.URNA_RL_IP_FAILURES_WINDOW_S,
    electionVotesPerSecond: config.URNA_RL_ELECTION_VOTES_PER_SEC,
    keyPrefix: config.URNA_RL_PREFIX,
  },
  registry,
);
const powKey =
  config.URNA_CHALLENGE_HMAC_KEY ??
  (config.URNA_VOTING_TOKEN_SECRET === undefined
    ? undefined
    : createHmac('sha256', config.URNA_VOTING_TOKEN_SECRET).update('urna altcha key').digest('base64url'));
if (powKey === undefined) throw new Error('invalid configuration:\n  URNA_CHALLENGE_HMAC_KEY: required without URNA_VOTING_TOKEN_SECRET');
const pow = new ProofOfWork(
  redis,
  {
    hmacKey: powKey,
    ttlSeconds: config.URNA_CHALLENGE_TTL_S,
    defaultMode: config.URNA_CHALLENGE_DEFAULT,
    defaultCost: config.URNA_CHALLENGE_COST,
  },
  registry,
);
const app = buildIngestApp({
  httpTimeouts: httpTimeoutsOf(config),
  log,
  cache,
  tally,
  limits,
  pow,
  ...(config.URNA_TRANSPARENCY_KEY === undefined || config.URNA_PSEUDONYM_SECRET === undefined
    ? {}
    : {
        receipts: new ReceiptSigner(signerFromSkey(config.URNA_TRANSPARENCY_KEY), Buffer.from(config.URNA_PSEUDONYM_SECRET, 'base64url')),
      }),
  trustProxy: config.URNA_TRUST_PROXY,
  verifier: verifierFromConfig(config),
  registry,
  logger: { level: config.URNA_LOG_LEVEL },
  bodyLimit: config.URNA_BODY_LIMIT,
  maxAppendBatch: config.URNA_APPEND_MAX_BATCH,
  appendLingerMs: config.URNA_APPEND_LINGER_MS,
  ...(config.URNA_VOTING_TOKEN_SECRET === undefined
    ? {}
    : { votingTokens: { secret: config.URNA_VOTING_TOKEN_SECRET, ttlSeconds: config.URNA_VOTING_TOKEN_TTL } }),
  ...(config.URNA_DEV_MODE && config.URNA_DEV_ISSUER_KEY !== undefined
    ? { devIssuer: await DevIssuer.fromJwk(config.URNA_DEV_ISSUER_KEY) }
    : {}),
});

await followElectionChanges(subscriber, cache);

await app.listen({ host: config.URNA_HOST, port: config.URNA_INGEST_PORT });
onShutdown(
  async () => {
    await app.close();
    await log.close();
    redis.disconnect();
    subscriber.disconnect();
  },
  (m) => app.log.info(m),
);
