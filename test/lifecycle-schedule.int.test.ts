import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLifecycleWorker, type JobData, type JobResult } from '@urna/recount';
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
    for (const id of ids) expect((await create(id, { opensAt: inMs(1_000), closesAt: inMs(2_000) })).statusCode).toBe(201);
    await sleep(2_500); // both times pass with no worker
    const worker = startWorker();
    try {
      for (const id of ids) {
        await eventually(`${id} closed`, async () => ((await t.repo.get(id))?.status === 'closed' ? true : undefined), 20_000);
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
});
