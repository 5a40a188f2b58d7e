import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChallenge } from 'altcha-lib/v1';
import type { Redis } from 'ioredis';
import { eventually, randomName, testRedis } from './helpers.ts';
import { api, startTestStack, type TestStack } from './stack.ts';
import { solvedProof } from './pow.ts';

/*
 * Abuse through the real edge (nginx) and the whole stack: the failure budget per address, the
 * per-user attempt limit, and proof-of-work refusals. Another client address is another
 * loopback address (127.0.0.x) as the socket's local address; the edge passes it on.
 */
const PARTITIONS = 8;
const POW_KEY = randomBytes(32).toString('base64url');
let s: TestStack;
let redis: Redis;

beforeAll(async () => {
  s = await startTestStack({ URNA_CHALLENGE_HMAC_KEY: POW_KEY, URNA_CHALLENGE_COST: '5000', URNA_LOG_PARTITIONS: String(PARTITIONS) });
  redis = testRedis(s.stack.urls.redis);
});
afterAll(async () => {
  redis?.disconnect();
  await s?.stop();
});

/** Votes in the log (every partition's stream). */
const logLength = async () =>
  (await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => redis.xlen(`${s.logPrefix}:${p}`)))).reduce((a, b) => a + b, 0);

function post(
  path: string,
  token: string,
  body: unknown,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${s.gateway}${path}`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            ...(res.headers['retry-after'] === undefined ? {} : { retryAfter: res.headers['retry-after'] }),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function openElection(extra: Record<string, unknown> = {}): Promise<string> {
  const id = randomName('abuse');
  const admin = await s.adminToken();
  expect(
    (
      await api(s.gateway, 'POST', '/v1/elections', admin, {
        id,
        title: id,
        options: [
          { id: 'a', label: 'A' },
          { id: 'b', label: 'B' },
        ],
        ...extra,
      })
    ).status,
  ).toBe(201);
  expect((await api(s.gateway, 'POST', `/v1/elections/${id}/open`, admin)).status).toBe(200);
  return id;
}

const total = async (id: string) => (await api<{ total: number }>(s.gateway, 'GET', `/v1/elections/${id}/results`)).json.total;

describe('rate limits through the edge', () => {
  it('3,000 bad-token requests from one address: 429 once its failure budget (100) is spent; valid voters there and elsewhere keep voting', async () => {
    const id = await openElection();
    const before = await logLength();
    const statuses: number[] = [];
    let next = 0;
    const forged = `${s.voterToken('mallory').slice(0, -4)}AAAA`;
    const flood = Promise.all(
      Array.from({ length: 30 }, async () => {
        while (next < 3_000) {
          next++;
          statuses.push((await post(`/v1/elections/${id}/votes`, forged, { optionId: 'a' }, '127.0.0.2')).status);
        }
      }),
    );
    await eventually('the budget is spent', async () => (statuses.includes(429) ? true : undefined));
    // meanwhile: a valid voter behind the same address, and one elsewhere
    expect((await post(`/v1/elections/${id}/votes`, s.voterToken('same-nat'), { optionId: 'a' }, '127.0.0.2')).status).toBe(202);
    expect((await post(`/v1/elections/${id}/votes`, s.voterToken('elsewhere'), { optionId: 'b' }, '127.0.0.3')).status).toBe(202);
    await flood;
    expect(statuses.filter((x) => x === 401)).toHaveLength(100);
    expect(statuses.filter((x) => x === 429)).toHaveLength(2_900);
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(100 + 30);
    const limited = await post(`/v1/elections/${id}/votes`, forged, { optionId: 'a' }, '127.0.0.2');
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(await logLength()).toBe(before + 2);
    await eventually('two votes counted', async () => ((await total(id)) === 2 ? true : undefined));
  });

  it('one user sending 50 votes in a second: the first counts, the rest are duplicates or 429 — never a second count', async () => {
    const id = await openElection();
    const before = await logLength();
    const token = s.voterToken(randomName('eager'));
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(`/v1/elections/${id}/votes`, token, { optionId: i % 2 === 0 ? 'a' : 'b' }, '127.0.0.4').then((r) => r.status),
      ),
    );
    expect(statuses.filter((x) => x === 202)).toHaveLength(10);
    expect(statuses.filter((x) => x === 429)).toHaveLength(40);
    expect(await logLength()).toBe(before + 10);
    await eventually('one vote counted', async () => ((await total(id)) === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect(await total(id)).toBe(1);
    const metrics = await (await fetch(`${s.stack.urls.ingest}/metrics`)).text();
    expect(metrics).toMatch(/urna_rate_limited_total\{[^}]*rule="user"[^}]*\} 40\n/);
    expect(metrics).toMatch(/urna_rate_limited_total\{[^}]*rule="ip_failures"[^}]*\} 2901\n/);
  });
});

describe('proof-of-work per vote (ALTCHA) through the edge', () => {
  it('a vote without, with a wrong, replayed, foreign or expired solution is refused with its code; nothing is appended', async () => {
    const id = await openElection({ challenge: 'pow' });
    const other = await openElection({ challenge: 'pow' });
    const alice = s.voterToken(randomName('alice'));
    const bob = s.voterToken(randomName('bob'));
    const before = await logLength();
    const vote = async (token: string, proof?: string, electionId = id) => {
      const response = await post(
        `/v1/elections/${electionId}/votes`,
        token,
        { optionId: 'a' },
        '127.0.0.5',
        proof === undefined ? {} : { 'x-altcha': proof },
      );
      return {
        status: response.status,
        code: response.status === 202 ? 'ACCEPTED' : (JSON.parse(response.body) as { error: { code: string } }).error.code,
      };
    };
    expect(await vote(alice)).toEqual({ status: 403, code: 'CHALLENGE_REQUIRED' });
    expect(await vote(alice, 'not base64 json!')).toEqual({ status: 403, code: 'CHALLENGE_INVALID' });
    const proof = await solvedProof(s.gateway, id, alice);
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(proof, 'base64').toString()), number: 0 })).toString('base64');
    expect((await vote(alice, tampered)).code).toBe('CHALLENGE_INVALID');
    expect(await vote(bob, proof)).toEqual({ status: 403, code: 'CHALLENGE_INVALID' }); // another user's
    expect(await vote(alice, proof, other)).toEqual({ status: 403, code: 'CHALLENGE_INVALID' }); // another election's
    const expired = await createChallenge({
      hmacKey: POW_KEY,
      maxNumber: 10,
      number: 3,
      expires: new Date(Date.now() - 1_000),
      params: { e: id, u: 'x' },
    });
    const expiredProof = Buffer.from(
      JSON.stringify({
        algorithm: expired.algorithm,
        challenge: expired.challenge,
        number: 3,
        salt: expired.salt,
        signature: expired.signature,
      }),
    ).toString('base64');
    expect(await vote(alice, expiredProof)).toEqual({ status: 403, code: 'CHALLENGE_INVALID' });
    expect(await logLength()).toBe(before);

    expect(await vote(alice, proof)).toEqual({ status: 202, code: 'ACCEPTED' });
    expect(await vote(alice, proof)).toEqual({ status: 403, code: 'CHALLENGE_REPLAYED' });
    expect(await logLength()).toBe(before + 1);
    const metrics = await (await fetch(`${s.stack.urls.ingest}/metrics`)).text();
    expect(metrics).toMatch(/urna_pow_refused_total\{[^}]*code="CHALLENGE_REPLAYED"[^}]*\} 1\n/);
    expect(metrics).toMatch(/urna_pow_verify_seconds_count\{[^}]*\} [1-9]/);
  });

  it("the challenge is for voters only, names the election's mode, and is never cached", async () => {
    const off = await openElection({ challenge: 'off' });
    const token = s.voterToken(randomName('carol'));
    const response = await fetch(`${s.gateway}/v1/elections/${off}/challenge`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ required: false, algorithm: 'SHA-256' });
    expect((await fetch(`${s.gateway}/v1/elections/${off}/challenge`)).status).toBe(401);
    expect((await post(`/v1/elections/${off}/votes`, token, { optionId: 'a' }, '127.0.0.6')).status).toBe(202);
  });
});
