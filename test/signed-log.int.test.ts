import { randomBytes, randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import { partitionOf, type Vote } from '@urna/domain';
import { RecordSigning, signedVoteLog, type VoteLog } from '@urna/log';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { KafkaLog } from '@urna/log/kafka';
import { createDynamoClient, VoteStore } from '@urna/store';
import { LiveTally } from '@urna/tally';
import { liveTallyProjection, startWorker, voteStoreProjection, type RunningWorker } from '@urna/tally-worker';
import { recountMetrics, runRecount } from '@urna/recount';
import { buildTestIngest, createElection, type TestIngest } from './apps.ts';
import { eventually, nonZero, randomName, waitDrained } from './helpers.ts';

/*
 * Records appended to the log by anyone but ingest (a raw XADD, a raw Kafka produce): without
 * a valid signature they are counted by no projection, kept as rejected `forged`, counted in
 * the workers' metrics, and the reconciliation still sums: accepted = counted + Σ rejected.
 */
const SEP = '\x1f';
const registries: Registry[] = [];
const workersOn = async (log: VoteLog, tally: LiveTally, store: VoteStore): Promise<RunningWorker[]> => {
  const make = async (projection: Parameters<typeof startWorker>[0]['projection']) => {
    const registry = new Registry();
    registries.push(registry);
    return startWorker({ log, projection, consumer: `${projection.name}-signed`, registry, batchSize: 50 });
  };
  return [await make(liveTallyProjection(tally)), await make(voteStoreProjection(store))];
};
/** Σ of urna_projection_rejected_records_total{reason="forged", kind} over the test's workers. */
const forgedMetric = async (kind: 'vote' | 'marker') => {
  let n = 0;
  for (const registry of registries) {
    const metric = await registry.getSingleMetric('urna_projection_rejected_records_total')?.get();
    for (const v of metric?.values ?? []) if (v.labels.reason === 'forged' && v.labels.kind === kind) n += v.value;
  }
  return n;
};

describe('signed log records on Redis Streams', () => {
  let t: TestIngest;
  const workers: RunningWorker[] = [];
  beforeAll(async () => {
    t = await buildTestIngest();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await t.close();
  });

  it('forged XADDs are never counted, are kept as rejected "forged", move the metric, and the reconciliation sums', async () => {
    registries.length = 0;
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    const vote = (userId: string, optionId: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/elections/${id}/votes`,
        headers: { authorization: `Bearer ${t.voterToken(userId)}`, 'content-type': 'application/json' },
        payload: { optionId },
      });
    for (let i = 0; i < 10; i++) expect((await vote(`real-${i}`, i < 6 ? 'a' : 'b')).statusCode).toBe(202);

    const xadd = (partition: number, value: string) => t.redis.xadd(t.log.streamKey(partition), '*', 'v', value);
    const forged = (userId: string): Vote => ({ voteId: randomUUID(), electionId: id, userId, optionId: 'b', acceptedAt: Date.now() });
    const fields = (v: Vote) => [v.voteId, v.electionId, v.userId, v.optionId, v.acceptedAt].join(SEP);
    const P = t.log.partitions;
    // 1. unsigned; 2. signed with another key under the same key id; 3. a valid signature, in another user's partition
    const unsigned = forged('mallory-1');
    await xadd(partitionOf(unsigned.userId, P), fields(unsigned));
    const otherKey = new RecordSigning({ id: 'test', secret: randomBytes(32) });
    const wrongKey = forged('mallory-2');
    await xadd(partitionOf(wrongKey.userId, P), `${fields(wrongKey)}${SEP}${otherKey.signVote(wrongKey)}`);
    const moved = forged('mallory-3');
    await xadd((partitionOf(moved.userId, P) + 1) % P, `${fields(moved)}${SEP}${t.signing.signVote(moved)}`);
    // a forged close marker on every partition: it must close nothing
    for (let p = 0; p < P; p++) await t.redis.xadd(t.log.streamKey(p), '*', 'c', `${id}${SEP}${Date.now()}`);
    for (let i = 10; i < 15; i++) expect((await vote(`real-${i}`, 'a')).statusCode).toBe(202);

    workers.push(...(await workersOn(t.signedLog, t.tally, t.store)));
    await waitDrained(t.signedLog);
    expect(nonZero((await t.tally.results(id, { raw: true }))?.counts)).toEqual({ a: 11, b: 4 });
    expect(await t.tally.rejectedCounts(id)).toEqual({ forged: 3 });
    expect(await t.tally.closeMarkersPassed(id)).toEqual(new Map());
    const fold = await t.store.tally(id);
    expect(fold).toMatchObject({ counts: { a: 11, b: 4 }, total: 15, forged: 3, accepted: 18, duplicates: 0, afterClose: 0 });
    expect(await forgedMetric('vote')).toBeGreaterThanOrEqual(6); // 3 records × 2 projections (more on redelivery)
    expect(await forgedMetric('marker')).toBeGreaterThanOrEqual(2 * P);

    // the official close and recount: the forged records are in the reconciliation, and it sums
    const admin = await t.adminToken();
    const closed = await t.admin.inject({
      method: 'POST',
      url: `/v1/elections/${id}/close`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(closed.statusCode).toBe(200);
    const deps = { elections: t.repo, store: t.store, tally: t.tally, partitions: P, metrics: recountMetrics(new Registry()) };
    const outcome = await eventually('recount ready', async () => runRecount(id, deps).catch(() => undefined));
    const reconciliation = JSON.parse(outcome.reconciliation) as { accepted: number; counted: number; rejected: Record<string, number> };
    expect(reconciliation).toMatchObject({ accepted: 18, counted: 15, rejected: { duplicate: 0, 'after-close': 0, forged: 3 } });
    const rejected = Object.values(reconciliation.rejected).reduce((a, b) => a + b, 0);
    expect(reconciliation.accepted).toBe(reconciliation.counted + rejected);
  });
});

describe('signed log records on Kafka', () => {
  const redis = new Redis(inject('redisUrl'));
  const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    redis.disconnect();
    dynamo.destroy();
  });

  it('raw produces without a valid signature are never counted, kept as rejected, and counted in metrics', async () => {
    registries.length = 0;
    const brokers = inject('kafkaBrokers');
    const topic = randomName('test.signed');
    const electionId = randomName('e');
    await createKafkaTopic(brokers, topic, 4);
    // the bare adapter is a raw producer: it writes whatever it is given, signature or not
    const bare = await KafkaLog.connect({
      brokers: brokers.split(','),
      clientId: 'urna-test',
      topic,
      partitions: 4,
      sessionTimeoutMs: 6_000,
    });
    cleanups.push(() => bare.close());
    const signing = new RecordSigning({ id: 'k2', secret: randomBytes(32) }, [{ id: 'k1', secret: randomBytes(32) }]);
    const log = signedVoteLog(bare, signing);
    const tally = new LiveTally({ redis, buckets: 256 });
    await tally.loadScripts();
    const store = new VoteStore({ client: dynamo, shards: 4, logPartitions: 4 });

    const vote = (userId: string, optionId: string): Vote => ({
      voteId: randomUUID(),
      electionId,
      userId,
      optionId,
      acceptedAt: Date.now(),
    });
    await log.append(Array.from({ length: 8 }, (_, i) => vote(`real-${i}`, i % 2 ? 'a' : 'b')));
    const unsigned = vote('mallory-1', 'a');
    const badMac = vote('mallory-2', 'a');
    await bare.append([unsigned, { ...badMac, signature: `k2.${'A'.repeat(22)}` }]);
    await bare.appendCloseMarker(electionId); // unsigned: closes nothing
    await log.append([vote('real-8', 'a')]);

    const workers = await workersOn(log, tally, store);
    cleanups.push(async () => {
      for (const w of workers) await w.stop();
    });
    await waitDrained(log);
    expect(nonZero((await tally.results(electionId, { raw: true }))?.counts)).toEqual({ a: 5, b: 4 });
    expect(await tally.rejectedCounts(electionId)).toEqual({ forged: 2 });
    const fold = await store.tally(electionId);
    expect(fold).toMatchObject({ total: 9, forged: 2, accepted: 11, duplicates: 0, afterClose: 0 });
    expect(fold.accepted).toBe(fold.total + fold.duplicates + fold.afterClose + fold.forged);
    expect(await store.closeMarkers(electionId)).toEqual(new Map());
    expect(await forgedMetric('vote')).toBeGreaterThanOrEqual(2 * 2);
    expect(await forgedMetric('marker')).toBeGreaterThanOrEqual(2 * 4);
  });
});
