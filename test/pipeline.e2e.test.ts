import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisCluster } from '@urna/embedded';
import { loadConfig, readModelRedis, sharedConfigShape } from '@urna/service-kit';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { RedisStreamsLog, type VoteLog } from '@urna/log';
import { KafkaLog } from '@urna/log/kafka';
import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { LiveTally, type ResultsSnapshot } from '@urna/tally';
import type { VoteReceipt } from '@urna/domain';
import { api, createElection, startTestStack, type TestStack } from './stack.ts';
import { eventually, nonZero, randomName, waitDrained } from './helpers.ts';
import { SseClient } from './sse-client.ts';

const redis = new Redis(inject('redisUrl'));
const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
afterAll(() => redis.disconnect());

interface LogSetup {
  readonly env: Record<string, string>;
  open(logPrefix: string, groupPrefix: string): Promise<VoteLog>;
  /** The read model the services write (the run's redis-server unless the setup has its own). */
  readonly tally?: LiveTally;
  stop?(): Promise<void>;
}

/**
 * How each log is set up for a stack, and a handle to read its backlog. Kafka runs on the
 * run's cluster (three KRaft brokers, RF 3, min.insync.replicas 2; see test/global-setup.ts),
 * on a topic of its own created through the admin API. `redis-cluster` is the Redis log with
 * the read model (live tally, configs, limits, notices, BullMQ) on a Redis Cluster of its own
 * (3 primaries + 3 replicas, URNA_REDIS_CLUSTER), each election in 4 sub-shards.
 */
const LOGS: Record<'redis' | 'kafka' | 'redis-cluster', () => Promise<LogSetup>> = {
  redis: async () => {
    const env = { URNA_LOG: 'redis', URNA_LOG_PARTITIONS: '8', URNA_FAULT_CRASH_AFTER_BATCHES: '60' };
    return {
      env,
      open: async (logPrefix: string, _groupPrefix: string): Promise<VoteLog> =>
        new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: 8, prefix: logPrefix }),
    };
  },
  'redis-cluster': async () => {
    const dir = mkdtempSync(join(tmpdir(), 'urna-cluster-'));
    const cluster = await RedisCluster.start({ dataDir: dir });
    // and each election split into 4 sub-shards (hot-election layout): every service reads and writes them
    const env = {
      URNA_LOG: 'redis',
      URNA_LOG_PARTITIONS: '8',
      URNA_FAULT_CRASH_AFTER_BATCHES: '60',
      URNA_REDIS_CLUSTER: cluster.seeds,
      URNA_TALLY_SUBSHARDS: '4',
    };
    const readModel = await readModelRedis(loadConfig(z.object(sharedConfigShape), env), 'patient');
    return {
      env,
      open: async (logPrefix: string, _groupPrefix: string): Promise<VoteLog> =>
        new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: 8, prefix: logPrefix }),
      tally: new LiveTally({ redis: readModel, subShards: 4 }),
      stop: async () => {
        readModel.disconnect();
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  kafka: async () => {
    const brokers = inject('kafkaBrokers');
    const topic = randomName('test.votes');
    await createKafkaTopic(brokers, topic, 4);
    const env = {
      URNA_LOG: 'kafka',
      URNA_KAFKA_BROKERS: brokers,
      URNA_KAFKA_TOPIC: topic,
      URNA_LOG_PARTITIONS: '4',
      URNA_KAFKA_SESSION_TIMEOUT_MS: '6000',
      URNA_FAULT_CRASH_AFTER_BATCHES: '15',
    };
    return {
      env,
      open: async (_logPrefix: string, groupPrefix: string): Promise<VoteLog> =>
        KafkaLog.connect({ brokers: brokers.split(','), clientId: 'urna-test', topic, partitions: 4, groupPrefix }),
    };
  },
} as const;

describe.each(Object.keys(LOGS) as Array<keyof typeof LOGS>)(
  'the pipeline, end to end, as separate processes, on the %s log',
  (logKind) => {
    let s: TestStack;
    let log: VoteLog;
    let store: VoteStore;
    let setup: LogSetup;
    let tally = new LiveTally({ redis });
    const elections: string[] = [];

    beforeAll(async () => {
      setup = await LOGS[logKind]();
      const { env, open } = setup;
      tally = setup.tally ?? tally;
      // the one-vote rule under a storm of retries is the point here: the per-user attempt
      // limit (429s, tested in test/abuse.e2e.test.ts) is raised so every retry reaches the log
      s = await startTestStack({ ...env, URNA_RL_USER_VOTES: '1000' });
      log = await open(s.logPrefix, s.kafkaGroupPrefix);
      store = new VoteStore({ client: dynamo, table: tableNames(s.tablePrefix).votes, logPartitions: Number(env.URNA_LOG_PARTITIONS) });
    });
    afterAll(async () => {
      await log.close();
      await s.stop();
      await setup.stop?.();
    });

    async function newElection(options = ['a', 'b', 'c']): Promise<string> {
      const id = await createElection(s, { options });
      elections.push(id);
      return id;
    }

    /** Waits until both projections have acknowledged everything in the log. */
    const drained = (): Promise<void> => waitDrained(log);

    /** Sends requests with bounded concurrency; returns the status of each. */
    async function castAll(
      votes: ReadonlyArray<{ electionId: string; userId: string; optionId: string }>,
      concurrency: number,
      onProgress?: (done: number) => void,
    ): Promise<number[]> {
      const statuses = new Array<number>(votes.length);
      let next = 0;
      let done = 0;
      const tokens = new Map<string, string>();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < votes.length) {
            const i = next++;
            const v = votes[i]!;
            const token = tokens.get(v.userId) ?? s.voterToken(v.userId);
            tokens.set(v.userId, token);
            for (let attempt = 0; ; attempt++) {
              const response = await fetch(`${s.gateway}/v1/elections/${v.electionId}/votes`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ optionId: v.optionId }),
              });
              await response.arrayBuffer();
              statuses[i] = response.status;
              if (response.status !== 503 || attempt >= 5) break;
            }
            onProgress?.(++done);
          }
        }),
      );
      return statuses;
    }

    it('the same user voting 100× concurrently: all accepted, exactly one counted, the rest rejected as duplicates', async () => {
      const id = await newElection();
      const statuses = await castAll(
        Array.from({ length: 100 }, (_, i) => ({ electionId: id, userId: 'eager-voter', optionId: ['a', 'b', 'c'][i % 3]! })),
        100,
      );
      expect(statuses.every((st) => st === 202)).toBe(true);
      await drained();
      const results = await api<ResultsSnapshot>(s.gateway, 'GET', `/v1/elections/${id}/results`);
      expect(results.json.total).toBe(1);
      const mine = await api<{ votes: VoteReceipt[] }>(s.gateway, 'GET', `/v1/elections/${id}/votes/me`, s.voterToken('eager-voter'));
      expect(mine.status).toBe(200);
      // votes/me lists a voter's first 32 receipts (the cap that keeps one voter from making the
      // receipts script block Redis); every one of the 100 is in the vote store (below)
      expect(mine.json.votes).toHaveLength(32);
      expect(mine.json.votes[0]?.status).toBe('counted');
      expect(mine.json.votes.slice(1).every((v) => v.status === 'rejected' && v.reason === 'duplicate')).toBe(true);
      const stored = await store.tally(id);
      expect(stored).toMatchObject({ total: 1, accepted: 100, duplicates: 99 });
      const storeReceipts = await store.receiptsOf(id, 'eager-voter');
      expect(storeReceipts[0]?.voteId).toBe(mine.json.votes[0]?.voteId);
      expect(nonZero(results.json.counts)).toEqual(stored.counts);
      expect((await api(s.gateway, 'GET', `/v1/elections/${id}/votes/me`, s.voterToken('never-voted'))).status).toBe(404);
    });

    // Two kinds of crash: SIGKILL from outside at arbitrary moments, and each worker process
    // killing itself right after applying its 60th batch, before the log has its acknowledgement
    // (URNA_FAULT_CRASH_AFTER_BATCHES), so redelivered, already-applied batches are certain.
    it('20,000 votes from 18,000 users while both tally workers are SIGKILLed mid-stream: 0 lost, 0 double', async () => {
      const id = await newElection();
      const users = Array.from({ length: 18_000 }, (_, i) => `crash-user-${i}`);
      const votes = users.map((userId, i) => ({ electionId: id, userId, optionId: ['a', 'b', 'c'][i % 3]! }));
      for (let i = 0; i < 2_000; i++)
        votes.push({ electionId: id, userId: users[(i * 7919) % users.length]!, optionId: ['c', 'a', 'b'][i % 3]! });
      const order = votes
        .map((v, i) => ({ v, k: (i * 2654435761) % 4294967296 }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.v);

      const sse = new SseClient(`${s.gateway}/v1/elections/${id}/results/stream`);
      const killAt = new Set([2_500, 6_000, 9_500, 13_000, 16_500]);
      let kills = 0;
      const statuses = await castAll(order, 48, (done) => {
        if (!killAt.has(done)) return;
        kills++;
        s.stack.services.get('tally-live')!.kill9();
        s.stack.services.get('tally-store')!.kill9();
      });
      expect(kills).toBeGreaterThanOrEqual(3);
      const acceptedUsers = new Set(order.filter((_, i) => statuses[i] === 202).map((v) => v.userId));
      expect(statuses.filter((st) => st !== 202)).toEqual([]);
      expect(acceptedUsers.size).toBe(18_000);

      await drained();
      // the votes went through the log under test (a backlog of a group that never read = all of it)
      expect((await log.backlog(randomName('never-read'))).undelivered).toBeGreaterThanOrEqual(20_000);
      const live = await tally.results(id);
      const stored = await store.tally(id);
      expect(live?.total).toBe(acceptedUsers.size);
      expect(stored.total).toBe(acceptedUsers.size);
      expect(stored.accepted).toBe(20_000);
      expect(nonZero(live?.counts)).toEqual(stored.counts);
      expect(s.stack.services.get('tally-live')!.restartCount).toBeGreaterThanOrEqual(3);

      await eventually(
        'SSE client sees the final total',
        async () => (sse.latest<ResultsSnapshot>()?.total === acceptedUsers.size ? true : undefined),
        10_000,
      );
      sse.close();
    }, 300_000);

    it('after the log drains, Redis counts equal DynamoDB counts for every election of this run', async () => {
      await drained();
      for (const id of elections) {
        expect(nonZero((await tally.results(id))?.counts)).toEqual((await store.tally(id)).counts);
      }
    });
  },
);
