import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimits } from '../src/abuse/rate-limits.ts';
import { VoteAttempts } from '../src/abuse/vote-attempts.ts';
import { randomName, testRedis } from '../../test/helpers.ts';

const redis = testRedis();
afterAll(() => redis.disconnect());

/** Counts the script calls a client sends (the Redis is real; only the calls are counted). */
function countingClient(): { client: ReturnType<typeof testRedis>; calls: () => number } {
  const client = testRedis();
  let calls = 0;
  const evalsha = client.evalsha.bind(client);
  client.evalsha = ((...args: Parameters<typeof client.evalsha>) => {
    calls++;
    return evalsha(...args);
  }) as typeof client.evalsha;
  return { client, calls: () => calls };
}

describe('the vote path limits, batched per event-loop turn', () => {
  it('checks arriving in one turn cost one script call per election, and give the verdicts one-by-one consumes would', async () => {
    const { client, calls } = countingClient();
    const prefix = randomName('rl');
    const attempts = new VoteAttempts(client, { userVotes: 10, userWindowSeconds: 60, keyPrefix: prefix });
    await attempts.consume('warm', 'up', 0); // loads the script
    const before = calls();
    // one eager user (25 attempts) among 40 others, in two elections, all in the same turn
    const eager = Array.from({ length: 25 }, () => attempts.consume('e1', 'eager', 0));
    const others = Array.from({ length: 40 }, (_, i) => attempts.consume(i % 2 === 0 ? 'e1' : 'e2', `u${i}`, 0));
    const verdicts = await Promise.all([...eager, ...others]);
    expect(calls() - before).toBe(2);
    expect(verdicts.slice(0, 25).filter((v) => v.admitted)).toHaveLength(10);
    expect(verdicts.slice(0, 10).every((v) => v.admitted)).toBe(true);
    expect(verdicts.slice(25).every((v) => v.admitted)).toBe(true);
    const refused = verdicts[24];
    expect(refused).toMatchObject({ admitted: false, rule: 'user' });
    expect(refused?.admitted === false && refused.msBeforeNext > 55_000 && refused.msBeforeNext <= 60_000).toBe(true);

    // the same 25 attempts through rate-limiter-flexible, one by one: the same counter and refusals
    const reference = new RateLimiterRedis({ storeClient: redis, keyPrefix: randomName('rlf'), points: 10, duration: 60 });
    let admitted = 0;
    for (let i = 0; i < 25; i++)
      admitted += await reference.consume('eager').then(
        () => 1,
        (e: unknown) => (e instanceof RateLimiterRes ? 0 : Promise.reject(e)),
      );
    expect(admitted).toBe(10);
    expect(await redis.get(attempts.userKey('e1', 'eager'))).toBe(await redis.get(reference.getKey('eager')));
    expect(await redis.ttl(attempts.userKey('e1', 'eager'))).toBeGreaterThan(55);
    client.disconnect();
  });

  it("an election's ceiling admits that many votes per second; an attempt the user rule refused spends none of it", async () => {
    const attempts = new VoteAttempts(redis, { userVotes: 1, userWindowSeconds: 60, keyPrefix: randomName('rl') });
    const id = randomName('e');
    await attempts.consume(id, 'spent', 0); // this user's single attempt, spent before the second starts
    const verdicts = await Promise.all([
      ...Array.from({ length: 5 }, () => attempts.consume(id, 'spent', 20)),
      ...Array.from({ length: 30 }, (_, i) => attempts.consume(id, `u${i}`, 20)),
    ]);
    expect(verdicts.slice(0, 5).every((v) => !v.admitted && v.rule === 'user')).toBe(true);
    expect(verdicts.slice(5, 25).every((v) => v.admitted)).toBe(true);
    expect(verdicts.slice(25).every((v) => !v.admitted && v.rule === 'election' && v.msBeforeNext <= 1_000)).toBe(true);
    // 30 consumes of the ceiling (20 admitted, 10 refused), none for the refused user's 5
    expect(await redis.get(attempts.electionKey(id, 20))).toBe('30');
  });

  it('RateLimits answers 429 RATE_LIMITED with Retry-After by rule, and lets votes through (rule "unavailable") when Redis cannot answer', async () => {
    const registry = new Registry();
    const settings = {
      userVotes: 2,
      userWindowSeconds: 30,
      ipFailures: 100,
      ipFailuresWindowSeconds: 60,
      electionVotesPerSecond: 0,
      keyPrefix: randomName('rl'),
    };
    const limits = new RateLimits(redis, settings, registry);
    const outcomes = await Promise.allSettled(Array.from({ length: 3 }, () => limits.checkVote('e', 'u', undefined)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    const down = testRedis();
    down.disconnect();
    const downRegistry = new Registry();
    await new RateLimits(down, settings, downRegistry).checkVote('e', 'u', undefined);
    expect(await registry.metrics()).toMatch(/urna_rate_limited_total\{rule="user"\} 1\n/);
    expect(await downRegistry.metrics()).toMatch(/urna_rate_limited_total\{rule="unavailable"\} 1\n/);
  });
});
