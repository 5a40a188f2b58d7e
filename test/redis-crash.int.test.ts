import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@urna/embedded';
import { buildTestIngest, createElection, type TestIngest } from './apps.ts';
import { eventually, nonZero } from './helpers.ts';

/**
 * Durability of the Redis Streams log: redis-server runs with appendfsync always, so a vote
 * answered 202 is on disk. SIGKILL Redis, restart it from its AOF: every acknowledged vote is
 * still in the log and gets counted. While Redis is down, votes get 503 + Retry-After.
 */
describe('Redis killed with SIGKILL after votes were acknowledged', () => {
  let dir: string;
  let redis: RedisServer;
  let t: TestIngest;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'urna-redis-crash-'));
    redis = await RedisServer.start({ dataDir: dir });
    t = await buildTestIngest({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cast = (electionId: string, userId: string) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/elections/${electionId}/votes`,
      headers: { authorization: `Bearer ${t.voterToken(userId)}`, 'content-type': 'application/json' },
      payload: { optionId: userId.endsWith('7') ? 'b' : 'a' },
    });

  it('keeps every acknowledged vote, refuses votes while down, and counts them all after restart', async () => {
    const election = await createElection(t);
    const acked = new Set<string>();
    const first = await Promise.all(Array.from({ length: 300 }, (_, i) => cast(election, `user-${i}`)));
    first.forEach((r, i) => r.statusCode === 202 && acked.add(`user-${i}`));
    expect(acked.size).toBe(300);

    await redis.kill9();
    const during = await cast(election, 'user-during-outage');
    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('1');
    expect(during.json().error.code).toBe('LOG_UNAVAILABLE');

    await redis.restart();
    await eventually('ingest reconnected', async () => (t.redis.status === 'ready' ? true : undefined));
    expect(await t.logLength()).toBe(300);
    const second = await Promise.all(Array.from({ length: 200 }, (_, i) => cast(election, `user-${300 + i}`)));
    second.forEach((r, i) => r.statusCode === 202 && acked.add(`user-${300 + i}`));
    expect(acked.size).toBe(500);

    await t.drainAndCompare();
    expect((await t.tally.results(election))?.total).toBe(500);
    const stored = await t.store.tally(election);
    expect(stored.total).toBe(500);
    expect(nonZero((await t.tally.results(election))?.counts)).toEqual(stored.counts);
    for (const userId of ['user-0', 'user-299', 'user-300', 'user-499']) {
      expect((await t.tally.receiptsOf(election, userId))[0]?.status).toBe('counted');
    }
  });
});
