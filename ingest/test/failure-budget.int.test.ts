import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { DomainErrors } from '@urna/domain';
import { RateLimits, failureBudget } from '../src/abuse/rate-limits.ts';
import { randomName, testRedis } from '../../test/helpers.ts';

const redis = testRedis();
afterAll(() => redis.disconnect());

describe('the failure budget', () => {
  it('a 4xx for a client whose socket is already gone (request.ip undefined) is answered as it was, not as an internal error', async () => {
    const limits = new RateLimits(
      redis,
      {
        userVotes: 10,
        userWindowSeconds: 60,
        ipFailures: 1,
        ipFailuresWindowSeconds: 60,
        electionVotesPerSecond: 0,
        keyPrefix: randomName('rl'),
      },
      new Registry(),
    );
    const refusal = DomainErrors.electionNotFound('nope');
    const gone = { ip: undefined } as unknown as FastifyRequest;
    for (let i = 0; i < 3; i++) await expect(failureBudget(limits)(refusal, gone)).rejects.toBe(refusal);
    // an address that is known still spends its budget: the second failure is 429
    const known = { ip: '192.0.2.7' } as unknown as FastifyRequest;
    await expect(failureBudget(limits)(refusal, known)).rejects.toBe(refusal);
    await expect(failureBudget(limits)(refusal, known)).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 });
  });
});
