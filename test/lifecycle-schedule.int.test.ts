import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Election } from '@urna/domain';
import { BullLifecycleJobs, resumeLifecycle, startLifecycleWorker, type JobData, type JobResult } from '@urna/recount';
import { buildTestIngest, type TestIngest } from './apps.ts';
import { eventually, randomName } from './helpers.ts';

// Scheduled opens and closes against real Redis (BullMQ) and DynamoDB Local: times that pass
// while no lifecycle worker runs, and schedule changes the lifecycle must refuse.
let t: TestIngest;
const connections: Redis[] = [];
beforeAll(async () => {
  t = await buildTestIngest();
});
afterAll(async () => {
  await t.close();
  for (const c of connections) c.disconnect();
});

const asAdmin = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  t.admin.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await t.adminToken()}` },
    ...(payload === undefined ? {} : { payload }),
  });
const create = (id: string, times: { opensAt?: string; closesAt?: string }) =>
  asAdmin('POST', '/v1/elections', {
    id,
    title: 'Scheduled',
    options: [
      { id: 'a', label: 'A' },
      { id: 'b', label: 'B' },
    ],
    ...times,
  });
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A lifecycle worker like recount/'s main.ts starts (recounts are not this file's subject). */
function startWorker(): Worker<JobData, JobResult> {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  connections.push(connection);
  return startLifecycleWorker({
    connection,
    prefix: t.queuePrefix,
    lifecycle: t.lifecycle,
    elections: t.repo,
    recount: async () => ({ skipped: 'not this test' }),
    reprocess: async () => ({ skipped: 'not this test' }),
  });
}

describe('scheduled open and close', () => {
  it('an open and a close that both passed while no lifecycle worker ran end closed, opened first, on the scheduler', async () => {
    const ids = Array.from({ length: 3 }, () => randomName('due'));
    const [opensAt, closesAt] = [inMs(4_000), inMs(5_000)];
    for (const id of ids) expect((await create(id, { opensAt, closesAt })).statusCode).toBe(201);
    await sleep(Date.parse(closesAt) + 500 - Date.now()); // both times pass with no worker
    const worker = startWorker();
    try {
      for (const id of ids) {
        // both jobs done: what they left in DynamoDB and Redis is final
        for (const job of [`open-${id}-${Date.parse(opensAt)}`, `close-${id}-${Date.parse(closesAt)}`])
          await eventually(`${job} done`, async () => ((await t.queue.getJob(job))?.finishedOn === undefined ? undefined : true), 20_000);
        expect((await t.repo.get(id))?.status).toBe('closed');
        expect((await t.tally.results(id))?.status).toBe('closed');
        expect((await t.configs.get(id))?.status).toBe('closed');
        const vote = await t.app.inject({
          method: 'POST',
          url: `/v1/elections/${id}/votes`,
          headers: { authorization: `Bearer ${t.voterToken('late')}`, 'content-type': 'application/json' },
          payload: { optionId: 'a' },
        });
        expect(vote.json().error.code).toBe('ELECTION_NOT_OPEN');
        const audit = await asAdmin('GET', '/v1/admin/audit');
        const steps = (audit.json().actions as Array<{ actor: string; action: string; electionId?: string; at: string }>)
          .filter((a) => a.electionId === id && a.action !== 'create')
          .sort((a, b) => a.at.localeCompare(b.at));
        expect(steps.map((a) => `${a.actor}:${a.action}`)).toEqual(['scheduler:open', 'scheduler:close']);
      }
    } finally {
      await worker.close();
    }
  });

  it('an admin cannot open a draft whose closesAt passed (it would never close): 409, nothing changed, until the close moves', async () => {
    const id = randomName('missed');
    const closesAt = inMs(1_500);
    expect((await create(id, { closesAt })).statusCode).toBe(201);
    await sleep(Date.parse(closesAt) + 200 - Date.now());
    const before = await t.repo.get(id);
    const refused = await asAdmin('POST', `/v1/elections/${id}/open`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('INVALID_TRANSITION');
    expect(refused.json().error.message).toContain('closesAt');
    expect(await t.repo.get(id)).toEqual(before);
    expect((await asAdmin('POST', `/v1/elections/${id}/schedule`, { closesAt: inMs(3_600_000) })).statusCode).toBe(200);
    expect((await asAdmin('POST', `/v1/elections/${id}/open`)).json()).toMatchObject({ status: 'open' });
  });

  it('a restart closes an election left open past its closesAt whose close job already ran (the bug this file guards, in old data)', async () => {
    const id = randomName('stuck');
    const closesAt = inMs(1_500);
    expect((await create(id, { closesAt })).statusCode).toBe(201);
    const worker = startWorker();
    try {
      const job = `close-${id}-${Date.parse(closesAt)}`;
      await eventually('close job done', async () => ((await t.queue.getJob(job))?.finishedOn === undefined ? undefined : true), 20_000);
      expect((await t.queue.getJob(job))?.returnvalue).toEqual({ skipped: 'already draft' });
      await t.repo.transition(id, 'open'); // what the old scheduler's open did after its close job had run
      await resumeLifecycle([(await t.repo.get(id)) as Election], new BullLifecycleJobs(t.queue), t.lifecycle, async () => false);
      expect((await t.repo.get(id))?.status).toBe('closed');
    } finally {
      await worker.close();
    }
  });

  it('creation refuses a closesAt already past (400 naming it) and creates nothing', async () => {
    const id = randomName('past');
    const refused = await create(id, { opensAt: inMs(-60_000), closesAt: inMs(-30_000) });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: { code: 'INVALID_BODY', message: 'closesAt: closesAt must be in the future' } });
    expect((await asAdmin('GET', `/v1/elections/${id}`)).statusCode).toBe(404);
    // an open time already past with a close to come opens at once, as before
    expect((await create(randomName('late-open'), { opensAt: inMs(-60_000), closesAt: inMs(3_600_000) })).statusCode).toBe(201);
  });
});

describe('POST /v1/elections/:id/schedule validates like creation; a refusal changes nothing', () => {
  const refusedWith = async (id: string, change: Record<string, unknown>, status: number, code: string) => {
    const before = (await t.repo.get(id)) as object;
    const jobs = (await t.queue.getJobs(['delayed', 'waiting'])).map((j) => j.id).sort();
    const refused = await asAdmin('POST', `/v1/elections/${id}/schedule`, change);
    expect(refused.statusCode, JSON.stringify(change)).toBe(status);
    expect(refused.json().error.code).toBe(code);
    expect(await t.repo.get(id)).toEqual(before);
    expect((await t.queue.getJobs(['delayed', 'waiting'])).map((j) => j.id).sort()).toEqual(jobs);
    return refused.json().error.message as string;
  };

  it('a draft: closesAt not after opensAt, given alone or together, or already past, is a 400', async () => {
    const id = randomName('draft');
    const [opensAt, closesAt] = [inMs(3_600_000), inMs(7_200_000)];
    expect((await create(id, { opensAt, closesAt })).statusCode).toBe(201);
    expect(await refusedWith(id, { closesAt: inMs(1_800_000) }, 400, 'INVALID_BODY')).toBe('closesAt: closesAt must be after opensAt');
    expect(await refusedWith(id, { closesAt: opensAt }, 400, 'INVALID_BODY')).toBe('closesAt: closesAt must be after opensAt');
    expect(await refusedWith(id, { opensAt: inMs(9_000_000) }, 400, 'INVALID_BODY')).toBe('closesAt: closesAt must be after opensAt');
    const [later, earlier] = [inMs(9_000_000), inMs(8_000_000)];
    expect(await refusedWith(id, { opensAt: later, closesAt: earlier }, 400, 'INVALID_BODY')).toBe(
      'closesAt: closesAt must be after opensAt',
    );
    expect(await refusedWith(id, { closesAt: inMs(-1_000) }, 400, 'INVALID_BODY')).toBe('closesAt: closesAt must be in the future');
    // accepted: a later close, a later open with its close, removing the open time
    const moved = await asAdmin('POST', `/v1/elections/${id}/schedule`, { closesAt: later });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ opensAt, closesAt: later });
    expect((await asAdmin('POST', `/v1/elections/${id}/schedule`, { opensAt: earlier, closesAt: later })).statusCode).toBe(200);
    const removed = await asAdmin('POST', `/v1/elections/${id}/schedule`, { opensAt: null });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().opensAt).toBeUndefined();
  });

  it('an open election: any opensAt is a 409 INVALID_TRANSITION; its closesAt may move', async () => {
    const id = randomName('open');
    expect((await create(id, {})).statusCode).toBe(201);
    expect((await asAdmin('POST', `/v1/elections/${id}/open`)).statusCode).toBe(200);
    const message = await refusedWith(id, { opensAt: inMs(3_600_000) }, 409, 'INVALID_TRANSITION');
    expect(message).toContain('opensAt');
    await refusedWith(id, { opensAt: inMs(3_600_000), closesAt: inMs(7_200_000) }, 409, 'INVALID_TRANSITION');
    await refusedWith(id, { opensAt: null }, 409, 'INVALID_TRANSITION');
    const closesAt = inMs(3_600_000);
    const moved = await asAdmin('POST', `/v1/elections/${id}/schedule`, { closesAt });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ status: 'open', closesAt });
    expect(await t.queue.getJob(`close-${id}-${Date.parse(closesAt)}`)).toBeDefined();
  });
});
