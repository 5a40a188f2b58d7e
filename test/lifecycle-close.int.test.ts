import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIngestApp, ElectionCache } from '@urna/ingest';
import { liveTallyProjection, startWorker, voteStoreProjection, type RunningWorker } from '@urna/tally-worker';
import { buildTestIngest, createElection, type TestIngest } from './apps.ts';
import { eventually, nonZero } from './helpers.ts';
import { recountMetrics, runRecount, runReprocess, startLifecycleWorker } from '@urna/recount';

let t: TestIngest;
let workers: RunningWorker[] = [];
beforeAll(async () => {
  t = await buildTestIngest();
  workers = [
    await startWorker({
      log: t.log,
      projection: liveTallyProjection(t.tally),
      consumer: 'live-1',
      registry: new Registry(),
      batchSize: 50,
    }),
    await startWorker({
      log: t.log,
      projection: voteStoreProjection(t.store),
      consumer: 'store-1',
      registry: new Registry(),
      batchSize: 50,
    }),
  ];
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await t.close();
});

const vote = (app: TestIngest['app'], electionId: string, userId: string, optionId: string) =>
  app.inject({
    method: 'POST',
    url: `/v1/elections/${electionId}/votes`,
    headers: { authorization: `Bearer ${t.voterToken(userId)}`, 'content-type': 'application/json' },
    payload: { optionId },
  });
const asAdmin = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  t.admin.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.adminToken()}` },
    ...(payload === undefined ? {} : { payload }),
  });
const recountDeps = () => ({
  elections: t.repo,
  store: t.store,
  tally: t.tally,
  partitions: t.log.partitions,
  metrics: recountMetrics(new Registry()),
});

describe('deterministic close', () => {
  it('a vote through a stale ingest cache after the close is accepted (202), then rejected after-close and never counted', async () => {
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    // a second ingest process whose cache never hears of the close (its notice was lost)
    const staleCache = new ElectionCache(t.configs, { maxAgeMs: 600_000 });
    const stale = buildIngestApp({ log: t.log, cache: staleCache, tally: t.tally, verifier: t.verifier, registry: new Registry() });
    for (let i = 0; i < 20; i++) expect((await vote(t.app, id, `early-${i}`, i % 2 ? 'a' : 'b')).statusCode).toBe(202);
    expect((await vote(stale, id, 'warm-up', 'a')).statusCode).toBe(202); // the stale cache now holds "open"

    const closed = await asAdmin('POST', `/v1/elections/${id}/close`);
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed' });
    expect((await vote(t.app, id, 'refused', 'a')).json().error.code).toBe('ELECTION_NOT_OPEN');
    const late = await vote(stale, id, 'late-voter', 'b');
    expect(late.statusCode).toBe(202);
    const lateAgain = await vote(stale, id, 'early-3', 'b'); // an early voter's second vote, after the close
    expect(lateAgain.statusCode).toBe(202);

    await eventually('late vote rejected after-close in votes/me', async () => {
      const receipts = await t.tally.receiptsOf(id, 'late-voter');
      return receipts[0]?.reason === 'after-close' ? receipts : undefined;
    });
    expect(await t.tally.receiptsOf(id, 'late-voter')).toEqual([
      { voteId: late.json().voteId, optionId: 'b', status: 'rejected', reason: 'after-close' },
    ]);
    const outcome = await eventually('recount ready', async () => runRecount(id, recountDeps()).catch(() => undefined));
    const reconciliation = JSON.parse(outcome.reconciliation);
    expect(reconciliation).toMatchObject({
      electionId: id,
      accepted: 23,
      counted: 21,
      rejected: { duplicate: 0, 'after-close': 2 },
      counts: { a: 11, b: 10 },
      liveMatched: true,
    });
    expect(Object.keys(reconciliation.markers)).toHaveLength(t.log.partitions);
    expect(nonZero((await t.tally.results(id, { raw: true }))?.counts)).toEqual({ a: 11, b: 10 });
    expect((await t.store.receiptsOf(id, 'early-3')).map((r) => r.reason ?? r.status)).toEqual(['counted', 'after-close']);

    // the audit view of DynamoDB agrees, and the rerun writes the same bytes
    const history = await asAdmin('GET', `/v1/admin/elections/${id}/voters/early-3/votes`);
    expect(history.json().votes.map((v: { status: string; reason?: string }) => v.reason ?? v.status)).toEqual(['counted', 'after-close']);
    const again = await runRecount(id, recountDeps());
    expect(again.official).toBe(outcome.official);
    expect(again.reconciliation).toBe(outcome.reconciliation);
    expect(again.published).toBe(false);
    expect(await t.tally.results(id)).toMatchObject({ final: true, counts: { a: 11, b: 10 }, total: 21 });
    await stale.close();
  });

  it('reprocess rebuilds deleted Redis keys from DynamoDB, identical to before', async () => {
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    for (let i = 0; i < 30; i++) expect((await vote(t.app, id, `r-${i % 25}`, i % 3 ? 'a' : 'b')).statusCode).toBe(202);
    await asAdmin('POST', `/v1/elections/${id}/close`);
    await eventually('recount ready', async () => runRecount(id, recountDeps()).catch(() => undefined));
    const before = await t.tally.digest(id);
    const keys = await t.redis.keys(`urna:tally:{${id}}:*`);
    await t.redis.del(
      ...keys.filter(
        (k) => !k.endsWith(':meta') && !k.endsWith(':official') && !k.endsWith(':reconciliation') && !k.endsWith(':live-at-close'),
      ),
    );
    expect((await t.tally.digest(id)).total).toBe(25); // meta kept; counts, markers and close gone
    expect((await t.tally.digest(id)).counts).toEqual({});
    const result = await runReprocess(id, { elections: t.repo, store: t.store, tally: t.tally });
    expect(result.identical).toBe(false); // it replaced a damaged model
    expect(await t.tally.digest(id)).toEqual(before);
    const receipts = await t.tally.receiptsOf(id, 'r-3');
    expect(receipts[0]).toMatchObject({ status: 'counted' });
    const rerun = await runReprocess(id, { elections: t.repo, store: t.store, tally: t.tally });
    expect(rerun.identical).toBe(true);
  });

  it('reprocess repeated on an OPEN election during a vote storm: live == every acknowledged vote, the total never goes backwards', async () => {
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    const users = Array.from({ length: 300 }, (_, i) => `storm-${i}`);
    const totals: number[] = [];
    const sample = async () => totals.push((await t.tally.results(id))?.total ?? 0);
    let next = 0;
    let acknowledged = 0;
    const voter = async () => {
      while (next < users.length) {
        const i = next++;
        if ((await vote(t.app, id, users[i] as string, i % 2 ? 'a' : 'b')).statusCode === 202) acknowledged++;
        await sample();
      }
    };
    const reprocessing = async () => {
      for (let round = 0; round < 3; round++) {
        await new Promise((r) => setTimeout(r, 150));
        await runReprocess(id, { elections: t.repo, store: t.store, tally: t.tally });
        await sample();
      }
    };
    await Promise.all([...Array.from({ length: 5 }, voter), reprocessing()]);
    expect(acknowledged).toBe(users.length);
    await eventually(
      'the live worker drained',
      async () => ((await t.tally.results(id))?.total === users.length ? true : undefined),
      10_000,
    ).catch(() => undefined);
    expect(await t.tally.results(id)).toMatchObject({ counts: { a: 150, b: 150 }, total: 300 });
    expect(totals.filter((n, i) => i > 0 && n < (totals[i - 1] as number))).toEqual([]);
  });

  it('hidden results: no per-option count leaks before the official result; admins see live counts', async () => {
    const token = await t.adminToken();
    const created = await t.admin.inject({
      method: 'POST',
      url: '/v1/elections',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        title: 'Secret',
        options: [
          { id: 'a', label: 'A' },
          { id: 'b', label: 'B' },
        ],
        resultsVisibility: 'hidden',
      },
    });
    expect(created.json()).toMatchObject({ resultsVisibility: 'hidden' });
    const id = created.json().id as string;
    await asAdmin('POST', `/v1/elections/${id}/open`);
    for (let i = 0; i < 6; i++) expect((await vote(t.app, id, `h-${i}`, i < 4 ? 'a' : 'b')).statusCode).toBe(202);
    await eventually('counted', async () => ((await t.tally.results(id, { raw: true }))?.total === 6 ? true : undefined));
    expect(await t.tally.results(id)).toEqual(expect.objectContaining({ counts: {}, total: 6, final: false, visibility: 'hidden' }));
    expect((await t.tally.results(id, { raw: true }))?.counts).toEqual({ a: 4, b: 2 });
    await asAdmin('POST', `/v1/elections/${id}/close`);
    await eventually('recount ready', async () => runRecount(id, recountDeps()).catch(() => undefined));
    expect(await t.tally.results(id)).toMatchObject({ counts: { a: 4, b: 2 }, total: 6, final: true });
  });

  it('reprocess over HTTP: the live read model deleted from Redis comes back identical, and the job result says what it replaced', async () => {
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    for (let i = 0; i < 30; i++) expect((await vote(t.app, id, `rp-${i % 25}`, i % 3 ? 'a' : 'b')).statusCode).toBe(202);
    await asAdmin('POST', `/v1/elections/${id}/close`);
    await eventually('recount ready', async () => runRecount(id, recountDeps()).catch(() => undefined));
    const snapshot = async () => ({
      digest: await t.tally.digest(id),
      live: (await t.tally.results(id, { raw: true }))?.counts,
      // the version moves on with every rebuild (watchers must get the new snapshot)
      public: { ...(await t.tally.results(id)), version: 'any' },
      receipts: await Promise.all(['rp-0', 'rp-3', 'rp-24'].map((u) => t.tally.receiptsOf(id, u))),
      reconciliation: await t.tally.reconciliation(id),
      liveAtClose: await t.redis.get(`urna:tally:{${id}}:live-at-close`),
    });
    const before = await snapshot();
    expect(before.receipts[0]?.map((r) => r.status)).toEqual(['counted', 'rejected']); // rp-0 voted twice
    expect(before.public).toMatchObject({ status: 'closed', final: true });

    // every key of the election's read model: the live model, its status and version, the
    // recount's published documents and the live counts it compared them with
    const keys = await t.redis.keys(`urna:tally:{${id}}:*`);
    await t.redis.del(...keys);
    const damaged = await t.tally.digest(id);
    expect(damaged).toEqual({ counts: {}, total: 0, closeMarkers: {} });
    expect(await t.tally.results(id)).toBeUndefined();
    expect((await t.tally.receiptsOf(id, 'rp-3'))[0]?.status).not.toBe('counted');

    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const worker = startLifecycleWorker({
      connection,
      prefix: t.queuePrefix,
      lifecycle: t.lifecycle,
      elections: t.repo,
      recount: async () => ({ skipped: 'the tests in this file run recounts themselves' }),
      reprocess: (electionId) => runReprocess(electionId, { elections: t.repo, store: t.store, tally: t.tally }),
    });
    try {
      const reprocess = async () => {
        const accepted = await asAdmin('POST', `/v1/admin/elections/${id}/reprocess`);
        expect(accepted.statusCode).toBe(202);
        const { jobId } = accepted.json() as { jobId: string };
        expect(jobId).toMatch(/^reprocess-/);
        return eventually('reprocess job done', async () => {
          const job = await asAdmin('GET', `/v1/admin/jobs/${jobId}`);
          expect(job.statusCode).toBe(200);
          const body = job.json() as { state: string; result?: Record<string, unknown> };
          expect(body.state).not.toBe('failed');
          return body.state === 'completed' ? body : undefined;
        });
      };
      const first = await reprocess();
      expect(first.result).toMatchObject({ identical: false, counted: 25, accepted: 30, before: damaged, after: before.digest });
      expect(await snapshot()).toEqual(before);

      const second = await reprocess(); // over an intact model: nothing to repair, and it says so
      expect(second.result).toMatchObject({ identical: true, before: before.digest, after: before.digest });
      expect(await snapshot()).toEqual(before);
    } finally {
      await worker.close();
      connection.disconnect();
    }
    expect((await asAdmin('POST', '/v1/admin/elections/no-such-election/reprocess')).statusCode).toBe(404);
    expect((await asAdmin('GET', '/v1/admin/jobs/reprocess-nope-0')).json().error.code).toBe('JOB_NOT_FOUND');
    const asVoter = await t.admin.inject({
      method: 'POST',
      url: `/v1/admin/elections/${id}/reprocess`,
      headers: { authorization: `Bearer ${t.voterToken('mallory')}` },
    });
    expect(asVoter.statusCode).toBe(403);
  });
});
