import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { expect, inject } from 'vitest';
import { createTokenVerifier, DEV_AUDIENCE, DEV_ISSUER, DevIssuer, generateDevKeys, mintVotingToken, type DevKeys } from '@urna/auth';
import { RecordSigning, RedisStreamsLog, signedVoteLog, type VoteLog } from '@urna/log';
import { Queue } from 'bullmq';
import { AuditLog, createDynamoClient, ElectionRepository, VoteStore } from '@urna/store';
import { ElectionConfigs, LiveTally } from '@urna/tally';
import { buildIngestApp, ElectionCache } from '@urna/ingest';
import { liveTallyProjection, startWorker, voteStoreProjection } from '@urna/tally-worker';
import { AcceptedRates, buildRecountApp, BullLifecycleJobs, LIFECYCLE_QUEUE, Lifecycle, type JobData, type JobResult } from '@urna/recount';
import { nonZero, randomName, waitDrained } from './helpers.ts';

export interface TestIngest {
  readonly app: ReturnType<typeof buildIngestApp>;
  /** The lifecycle side (recount/'s HTTP face): elections admin, audit. Its jobs queue has no worker here. */
  readonly admin: ReturnType<typeof buildRecountApp>;
  readonly lifecycle: Lifecycle;
  readonly cache: ElectionCache;
  readonly repo: ElectionRepository;
  readonly configs: ElectionConfigs;
  readonly verifier: ReturnType<typeof createTokenVerifier>;
  readonly queue: Queue<JobData, JobResult>;
  readonly queuePrefix: string;
  /** The bare Redis log (stream keys, raw appends); `signedLog` is the same log as the services see it. */
  readonly log: RedisStreamsLog;
  /** `log` signed with `signing`: what ingest and the lifecycle append through, and what drainAndCompare's workers read. */
  readonly signedLog: VoteLog;
  readonly signing: RecordSigning;
  readonly tally: LiveTally;
  readonly store: VoteStore;
  readonly redis: Redis;
  /** The DynamoDB client every store and repository of this app uses (tests count its commands). */
  readonly dynamo: ReturnType<typeof createDynamoClient>;
  readonly keys: DevKeys;
  readonly votingSecret: Buffer;
  voterToken(userId: string): string;
  adminToken(userId?: string): Promise<string>;
  /** Elections created through `createElection`. */
  readonly elections: string[];
  /** Votes in the log, all partitions. */
  logLength(): Promise<number>;
  /** Runs both projections until the log is drained, then checks Redis == DynamoDB for every election. */
  drainAndCompare(): Promise<void>;
  close(): Promise<void>;
}

let sharedKeys: Promise<DevKeys> | undefined;

/** An ingest app wired to the run's real Redis and DynamoDB, isolated by a random log prefix. */
export async function buildTestIngest(options: { redisUrl?: string; devMode?: boolean; bodyLimit?: number } = {}): Promise<TestIngest> {
  const redisUrl = options.redisUrl ?? inject('redisUrl');
  const keys = await (sharedKeys ??= generateDevKeys());
  const votingSecret = randomBytes(32);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
  const connections: Redis[] = [redis];
  const connect = () => {
    const c = new Redis(redisUrl, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
  const repo = new ElectionRepository(dynamo);
  const log = new RedisStreamsLog({ redis, connect, partitions: 4, prefix: randomName('test:votes') });
  const signing = new RecordSigning({ id: 'test', secret: randomBytes(32) });
  const signedLog = signedVoteLog(log, signing);
  const tally = new LiveTally({ redis, buckets: 256 });
  const store = new VoteStore({ client: dynamo, shards: 4, logPartitions: log.partitions });
  const issuer = await DevIssuer.fromJwk(keys.privateJwk);
  const verifier = createTokenVerifier({ jwks: keys.jwks, issuer: DEV_ISSUER, audience: DEV_AUDIENCE, votingSecret });
  const configs = new ElectionConfigs(redis);
  const cache = new ElectionCache(configs);
  const queuePrefix = randomName('test-bull');
  const queue = new Queue<JobData, JobResult>(LIFECYCLE_QUEUE, { connection: connect(), prefix: queuePrefix });
  const jobs = new BullLifecycleJobs(queue);
  const audit = new AuditLog(dynamo);
  // announce stands for the Redis notice every ingest process follows
  const lifecycle = new Lifecycle({
    elections: repo,
    log: signedLog,
    tally,
    configs,
    jobs,
    audit,
    announce: async (id) => cache.invalidate(id),
  });
  const rates = new AcceptedRates({ tally });
  const admin = buildRecountApp({
    lifecycle,
    elections: repo,
    listing: configs,
    store,
    jobs,
    queue,
    audit,
    rates,
    verifier,
    registry: new Registry(),
  });
  const app = buildIngestApp({
    log: signedLog,
    cache,
    tally,
    verifier,
    registry: new Registry(),
    votingTokens: { secret: votingSecret, ttlSeconds: 300 },
    ...(options.devMode === false ? {} : { devIssuer: issuer }),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
  });
  const result: TestIngest = {
    app,
    admin,
    lifecycle,
    cache,
    repo,
    configs,
    verifier,
    queue,
    queuePrefix,
    log,
    signedLog,
    signing,
    tally,
    store,
    redis,
    dynamo,
    keys,
    votingSecret,
    elections: [],
    voterToken: (userId) => mintVotingToken({ userId, role: 'voter' }, votingSecret, 300),
    adminToken: (userId = 'admin') => issuer.issue({ userId, role: 'admin' }),
    logLength: async () => {
      let n = 0;
      for (let p = 0; p < log.partitions; p++) n += await redis.xlen(log.streamKey(p));
      return n;
    },
    drainAndCompare: async () => {
      const live = await startWorker({
        log: signedLog,
        projection: liveTallyProjection(tally),
        consumer: 'live-test',
        registry: new Registry(),
      });
      const stored = await startWorker({
        log: signedLog,
        projection: voteStoreProjection(store),
        consumer: 'store-test',
        registry: new Registry(),
      });
      try {
        await waitDrained(log);
      } finally {
        await live.stop();
        await stored.stop();
      }
      for (const id of result.elections) expect(nonZero((await tally.results(id))?.counts), id).toEqual((await store.tally(id)).counts);
    },
    close: async () => {
      await app.close();
      await admin.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await log.close();
      for (const c of connections) c.disconnect();
      dynamo.destroy();
    },
  };
  return result;
}

/** Creates an election through the API, optionally opened. */
export async function createElection(t: TestIngest, options: { open?: boolean; optionIds?: string[] } = {}): Promise<string> {
  const id = randomName('e');
  const admin = await t.adminToken();
  const created = await t.admin.inject({
    method: 'POST',
    url: '/v1/elections',
    headers: { authorization: `Bearer ${admin}` },
    payload: { id, title: 'Test', options: (options.optionIds ?? ['a', 'b', 'c']).map((o) => ({ id: o, label: o.toUpperCase() })) },
  });
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`);
  t.elections.push(id);
  if (options.open !== false) {
    const opened = await t.admin.inject({ method: 'POST', url: `/v1/elections/${id}/open`, headers: { authorization: `Bearer ${admin}` } });
    if (opened.statusCode !== 200) throw new Error(`open: ${opened.statusCode} ${opened.body}`);
  }
  return id;
}
