import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestApp, ElectionCache } from '@urna/ingest';
import { liveTallyProjection, startWorker, type RunningWorker } from '@urna/tally-worker';
import { buildTestIngest, createElection, type TestIngest } from './apps.ts';
import { eventually } from './helpers.ts';
import type { AcceptedRateReport } from '@urna/recount';

let t: TestIngest;
let live: RunningWorker;
beforeAll(async () => {
  t = await buildTestIngest();
  live = await startWorker({
    log: t.log,
    projection: liveTallyProjection(t.tally),
    consumer: 'live-1',
    registry: new Registry(),
    batchSize: 50,
  });
});
afterAll(async () => {
  await live.stop();
  await t.close();
});

describe('accepted votes/s across ingest processes (GET /v1/admin/elections/:id/rate)', () => {
  it('counts every vote two ingest processes accepted, duplicates included, from the live read model; admins only', async () => {
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    // a second ingest process: its own cache and app, the same log
    const other = buildIngestApp({
      log: t.log,
      cache: new ElectionCache(t.configs),
      tally: t.tally,
      verifier: t.verifier,
      registry: new Registry(),
    });
    const rate = async () => {
      const response = await t.admin.inject({
        url: `/v1/admin/elections/${id}/rate`,
        headers: { authorization: `Bearer ${await t.adminToken()}` },
      });
      expect(response.statusCode).toBe(200);
      return response.json() as AcceptedRateReport;
    };
    try {
      expect(await rate()).toMatchObject({ electionId: id, accepted: 0, acceptedPerSecond: null });
      const votes = Array.from({ length: 120 }, (_, i) =>
        (i % 2 === 0 ? t.app : other).inject({
          method: 'POST',
          url: `/v1/elections/${id}/votes`,
          headers: { authorization: `Bearer ${t.voterToken(`rate-${i % 100}`)}`, 'content-type': 'application/json' },
          payload: { optionId: i % 3 ? 'a' : 'b' },
        }),
      );
      expect((await Promise.all(votes)).every((r) => r.statusCode === 202)).toBe(true);
      // 120 accepted (20 of them duplicates), of which 100 counted; sampled once a second
      const report = await eventually("both processes' votes sampled", async () => {
        const r = await rate();
        return r.accepted === 120 && (r.acceptedPerSecond ?? 0) > 0 ? r : undefined;
      });
      expect(report.windowSeconds).toBe(5);
      expect((await t.tally.results(id))?.total).toBe(100);

      const anonymous = await t.admin.inject({ url: `/v1/admin/elections/${id}/rate` });
      expect(anonymous.statusCode).toBe(401);
      const voter = await t.admin.inject({
        url: `/v1/admin/elections/${id}/rate`,
        headers: { authorization: `Bearer ${t.voterToken('v')}` },
      });
      expect(voter.statusCode).toBe(403);
      const unknown = await t.admin.inject({
        url: '/v1/admin/elections/no-such-election/rate',
        headers: { authorization: `Bearer ${await t.adminToken()}` },
      });
      expect(unknown.json().error.code).toBe('ELECTION_NOT_FOUND');
    } finally {
      await other.close();
    }
  });
});
