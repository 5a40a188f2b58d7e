/**
 * npm start keeps its embedded redis-server up like its services (a black-box run SIGKILLed it
 * and every vote got 503 until a manual restart): the launcher starts it again on the same port
 * and data dir, votes acknowledged before the crash are still counted, and voting resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { api, createElection, startTestStack, type TestStack } from './stack.ts';
import { eventually } from './helpers.ts';

let s: TestStack;
beforeAll(async () => {
  s = await startTestStack({}, undefined, { ownRedis: true, superviseServers: true });
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

const vote = (id: string, userId: string) =>
  fetch(`${s.gateway}/v1/elections/${id}/votes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.voterToken(userId)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ optionId: 'a' }),
  }).then(async (r) => (await r.arrayBuffer(), r.status));

describe('the launcher supervises its embedded redis-server', () => {
  it('SIGKILLed: restarted on the same port, acknowledged votes kept, voting resumes', async () => {
    const redis = s.stack.redis!;
    const id = await createElection(s);
    for (let i = 0; i < 5; i++) expect(await vote(id, `before-${i}`)).toBe(202);
    const pid = redis.pid;
    await redis.kill9();
    await eventually(
      'redis-server back on its port',
      async () => {
        const client = new Redis(redis.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
          retryStrategy: () => null,
        });
        try {
          await client.connect();
          return (await client.ping()) === 'PONG' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          client.disconnect();
        }
      },
      30_000,
    );
    expect(redis.pid).not.toBe(pid);
    await eventually('a vote accepted again', async () => ((await vote(id, 'after-0')) === 202 ? true : undefined), 30_000);
    await eventually(
      'every acknowledged vote counted',
      async () => ((await api<{ total: number }>(s.gateway, 'GET', `/v1/elections/${id}/results`)).json.total === 6 ? true : undefined),
      30_000,
    );
  }, 120_000);
});
