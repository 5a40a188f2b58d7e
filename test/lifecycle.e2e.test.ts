import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { createDynamoClient, ElectionRepository, tableNames, VoteStore } from '@urna/store';
import { LiveTally } from '@urna/tally';
import { api, createElection, startTestStack, type TestStack, officialResult } from './stack.ts';
import { eventually, nonZero, randomName } from './helpers.ts';
import { SseClient } from './sse-client.ts';
import { LIFECYCLE_QUEUE, recountMetrics, runRecount } from '@urna/recount';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
const tally = new LiveTally({ redis });
const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
// own tables: the lifecycle service scans its elections table on start, so other tests' elections stay out of it
const TABLE_PREFIX = `${randomName('lc').replace(/-/g, '_')}_`;
const store = new VoteStore({ client: dynamo, table: tableNames(TABLE_PREFIX).votes });
const elections = new ElectionRepository(dynamo, tableNames(TABLE_PREFIX).elections);
afterAll(() => {
  redis.disconnect();
  dynamo.destroy();
});

interface Reconciliation {
  accepted: number;
  counted: number;
  rejected: Record<string, number>;
  counts: Record<string, number>;
  liveMatched: boolean;
  markers: Record<string, string>;
}

const LOGS = {
  redis: async () => ({ URNA_LOG: 'redis', URNA_LOG_PARTITIONS: '8' }),
  kafka: async () => {
    const brokers = inject('kafkaBrokers');
    const topic = randomName('test.votes');
    await createKafkaTopic(brokers, topic, 4);
    return {
      URNA_LOG: 'kafka',
      URNA_KAFKA_BROKERS: brokers,
      URNA_KAFKA_TOPIC: topic,
      URNA_LOG_PARTITIONS: '4',
      URNA_KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
  },
} as const;

describe.each(Object.keys(LOGS) as Array<keyof typeof LOGS>)('closing an election on the %s log, as separate processes', (logKind) => {
  let s: TestStack;
  let partitions: number;
  beforeAll(async () => {
    const env = await LOGS[logKind]();
    partitions = Number(env.URNA_LOG_PARTITIONS);
    // the first recount attempt of each election SIGKILLs the recount process mid-run
    // every client is 127.0.0.1 and the storm's votes after the close are 409s: the per-address
    // budget of failed requests (test/abuse.e2e.test.ts) would turn them into 429s here
    s = await startTestStack({
      ...env,
      URNA_TABLE_PREFIX: TABLE_PREFIX,
      URNA_FAULT_RECOUNT_CRASH_ONCE: '1',
      URNA_RECOUNT_LOCK_MS: '3000',
      URNA_RL_IP_FAILURES: '1000000',
    });
  });
  afterAll(async () => s.stop());

  const newElection = (extra: Record<string, unknown> = {}, open = true) => createElection(s, { extra, open });

  it('a close during a storm of 10,000 votes (10% duplicates): every 202 is accounted for, none after a marker counts, official == live == DynamoDB; a SIGKILLed recount converges byte-identical', async () => {
    const id = await newElection();
    const users = Array.from({ length: 9_000 }, (_, i) => `storm-${i}`);
    const votes = users.map((userId, i) => ({ userId, optionId: ['a', 'b', 'c'][i % 3]! }));
    for (let i = 0; i < 1_000; i++) votes.push({ userId: users[(i * 7919) % users.length]!, optionId: ['c', 'a', 'b'][i % 3]! });
    const sse = new SseClient(`${s.gateway}/v1/elections/${id}/results/stream`);
    const statuses: number[] = [];
    let lost = 0; // connections cut before an answer: the vote may or may not be in the log
    let next = 0;
    let closing: Promise<{ status: number; json: unknown }> | undefined;
    const admin = await s.adminToken();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < votes.length) {
          const v = votes[next++]!;
          if (next === 5_000) closing = api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin);
          try {
            const response = await fetch(`${s.gateway}/v1/elections/${id}/votes`, {
              method: 'POST',
              headers: { authorization: `Bearer ${s.voterToken(v.userId)}`, 'content-type': 'application/json' },
              body: JSON.stringify({ optionId: v.optionId }),
            });
            await response.arrayBuffer();
            statuses.push(response.status);
          } catch {
            lost++;
          }
        }
      }),
    );
    const closed = await closing;
    expect(closed?.status).toBe(200);
    expect(closed?.json).toMatchObject({ status: 'closed' });
    expect(statuses.every((st) => st === 202 || st === 409)).toBe(true);
    const accepted202 = statuses.filter((st) => st === 202).length;
    expect(accepted202).toBeGreaterThan(4_000);
    expect(statuses.filter((st) => st === 409).length).toBeGreaterThan(1_000);

    const final = await officialResult(s, id, 180_000);
    expect(s.stack.services.get('recount')?.restartCount).toBeGreaterThanOrEqual(1); // the fault fired: the job was retried
    const reconciliation = await api<Reconciliation>(s.gateway, 'GET', `/v1/elections/${id}/reconciliation`);
    expect(reconciliation.status).toBe(200);
    const rec = reconciliation.json;
    expect(lost).toBeLessThan(50);
    expect(rec.accepted).toBeGreaterThanOrEqual(accepted202); // every 202 is in the history…
    expect(rec.accepted).toBeLessThanOrEqual(accepted202 + lost); // …and nothing else but votes whose answer was lost
    expect(rec.counted + Object.values(rec.rejected).reduce((a, b) => a + b, 0)).toBe(rec.accepted);
    expect(Object.keys(rec.markers)).toHaveLength(partitions);
    expect(rec.liveMatched).toBe(true);
    const fold = await store.tally(id);
    expect(nonZero(final.counts)).toEqual(fold.counts);
    expect(rec.counts).toEqual(final.counts);
    expect(nonZero((await tally.results(id, { raw: true }))?.counts)).toEqual(fold.counts);
    expect(fold.afterClose).toBe(rec.rejected['after-close']);
    await eventually('SSE event: final', async () => (sse.events.some((e) => e.event === 'final') ? true : undefined), 10_000);
    sse.close();

    // a rerun writes the same bytes and publishes nothing new
    const before = reconciliation.json;
    // the recount service's view: the deployment's partition count (the entries per partition are in the reconciliation)
    const recountStore = new VoteStore({ client: dynamo, table: tableNames(TABLE_PREFIX).votes, logPartitions: partitions });
    const rerun = await runRecount(id, { elections, store: recountStore, tally, partitions, metrics: recountMetrics(new Registry()) });
    expect(rerun.published).toBe(false);
    expect(JSON.parse(rerun.reconciliation)).toEqual(before);
    expect(rerun.reconciliation).toBe(await tally.reconciliation(id));
    expect(await elections.officialResult(id)).toBe(rerun.official);
  }, 600_000);

  if (logKind === 'redis') {
    it('a scheduled close fires at closesAt; one missed while the lifecycle service was down fires on its restart; a duplicated close job changes nothing', async () => {
      const soon = new Date(Date.now() + 4_000).toISOString();
      const scheduled = await newElection({ closesAt: soon });
      const missed = await newElection({ closesAt: new Date(Date.now() + 6_000).toISOString() });
      expect((await api(s.gateway, 'GET', `/v1/elections/${scheduled}/results`)).status).toBe(200);
      expect((await api(s.gateway, 'POST', `/v1/elections/${scheduled}/votes`, s.voterToken('early'), { optionId: 'a' })).status).toBe(202);
      const recount = s.stack.services.get('recount');
      await eventually('scheduled close', async () => ((await tally.results(scheduled))?.status === 'closed' ? true : undefined), 60_000);
      await recount?.pause();
      await new Promise((r) => setTimeout(r, 6_500)); // `missed` is due while no lifecycle process runs
      expect((await tally.results(missed))?.status).toBe('open');
      recount?.start();
      await eventually('missed close fires on restart', async () => ((await tally.results(missed))?.final ? true : undefined), 120_000);
      await eventually('scheduled result final', async () => ((await tally.results(scheduled))?.final ? true : undefined), 120_000);
      expect((await tally.results(scheduled))?.counts).toMatchObject({ a: 1 });

      // duplicate: the same deterministic id is ignored; another id for the same close does nothing
      const queue = new Queue(LIFECYCLE_QUEUE, { connection: redis, prefix: s.stack.env.URNA_QUEUE_PREFIX as string });
      try {
        const at = (await elections.get(scheduled))?.closesAt as string;
        const same = await queue.add('close', { electionId: scheduled, at }, { jobId: `close-${scheduled}-${Date.parse(at)}` });
        expect(await same.getState()).toBe('completed');
        const other = await queue.add('close', { electionId: scheduled, at }, { jobId: `close-${scheduled}-again` });
        await eventually('duplicate ran', async () => ((await other.getState()) === 'completed' ? true : undefined), 30_000);
        expect((await queue.getJob(other.id as string))?.returnvalue).toEqual({ skipped: 'already closed' });
      } finally {
        await queue.close();
      }
      const audit = await api<{ actions: Array<{ actor: string; action: string; electionId?: string }> }>(
        s.gateway,
        'GET',
        '/v1/admin/audit',
        await s.adminToken(),
      );
      const closes = audit.json.actions.filter((a) => a.action === 'close' && (a.electionId === scheduled || a.electionId === missed));
      expect(closes).toHaveLength(2);
      expect(closes.every((a) => a.actor === 'scheduler')).toBe(true);
    }, 600_000);
  }
});
