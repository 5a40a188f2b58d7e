import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJWK, SignJWT } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys, DevIssuer, mintVotingToken } from '@urna/auth';
import { buildTestIngest, createElection, type TestIngest } from '../../test/apps.ts';

let t: TestIngest;
beforeAll(async () => {
  t = await buildTestIngest();
});
afterAll(async () => {
  await t.drainAndCompare();
  await t.close();
});

const vote = (electionId: string, token: string | undefined, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/elections/${electionId}/votes`,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

describe('elections API', () => {
  it('creates a draft election, opens and closes it; voters cannot administer', async () => {
    const admin = await t.adminToken();
    const created = await t.admin.inject({
      method: 'POST',
      url: '/v1/elections',
      headers: { authorization: `Bearer ${admin}` },
      payload: {
        title: 'Song of the night',
        options: [
          { id: 'x', label: 'X' },
          { id: 'y', label: 'Y' },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    const election = created.json();
    expect(election).toMatchObject({
      title: 'Song of the night',
      status: 'draft',
      options: [
        { id: 'x', label: 'X' },
        { id: 'y', label: 'Y' },
      ],
    });
    expect((await t.admin.inject({ url: `/v1/elections/${election.id}` })).json()).toMatchObject({ id: election.id, status: 'draft' });
    // the read model carries the status, one version per change, so SSE watchers see it at once
    expect(await t.tally.results(election.id)).toMatchObject({ counts: { x: 0, y: 0 }, total: 0, version: 1, status: 'draft' });

    const voter = t.voterToken('mallory');
    const forbidden = await t.admin.inject({
      method: 'POST',
      url: `/v1/elections/${election.id}/open`,
      headers: { authorization: `Bearer ${voter}` },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('FORBIDDEN');
    const open = await t.admin.inject({
      method: 'POST',
      url: `/v1/elections/${election.id}/open`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(open.json()).toMatchObject({ status: 'open' });
    const close = await t.admin.inject({
      method: 'POST',
      url: `/v1/elections/${election.id}/close`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(close.json()).toMatchObject({ status: 'closed' });
    expect(await t.tally.results(election.id)).toMatchObject({ total: 0, version: 3, status: 'closed' });
    const again = await t.admin.inject({
      method: 'POST',
      url: `/v1/elections/${election.id}/open`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(again.statusCode).toBe(409);
  });

  it('rejects invalid election bodies with 400 and names the field', async () => {
    const admin = await t.adminToken();
    for (const payload of [
      { title: 'x', options: [{ id: 'a', label: 'A' }] },
      {
        title: 'x',
        options: [
          { id: 'a', label: 'A' },
          { id: 'a', label: 'B' },
        ],
      },
      { title: '', options: [] },
      {
        title: 'x',
        options: [
          { id: 'a b', label: 'A' },
          { id: 'c', label: 'C' },
        ],
      },
    ]) {
      const response = await t.admin.inject({
        method: 'POST',
        url: '/v1/elections',
        headers: { authorization: `Bearer ${admin}` },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'INVALID_BODY' });
    }
  });

  it('unknown elections are 404', async () => {
    expect((await t.admin.inject({ url: '/v1/elections/nope-404' })).statusCode).toBe(404);
    expect((await t.admin.inject({ url: '/v1/elections/bad%20id' })).json().error.code).toBe('ELECTION_NOT_FOUND');
  });
});

describe('casting a vote', () => {
  it('answers 202 with a voteId once the log holds the vote', async () => {
    const id = await createElection(t);
    const before = await t.logLength();
    const response = await vote(id, t.voterToken('alice'), { optionId: 'a' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ voteId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'accepted' });
    expect(await t.logLength()).toBe(before + 1);
  });

  it('accepts an identity-provider token directly and after exchange for a voting token', async () => {
    const id = await createElection(t);
    const idp = await (await DevIssuer.fromJwk(t.keys.privateJwk)).issue({ userId: 'bob', role: 'voter' });
    expect((await vote(id, idp, { optionId: 'b' })).statusCode).toBe(202);
    const exchanged = await t.app.inject({ method: 'POST', url: '/v1/auth/voting-token', headers: { authorization: `Bearer ${idp}` } });
    expect(exchanged.statusCode).toBe(200);
    expect(exchanged.json()).toMatchObject({ tokenType: 'Bearer', expiresIn: 300 });
    expect((await vote(id, exchanged.json().token, { optionId: 'b' })).statusCode).toBe(202);
    // a voting token cannot be exchanged for a fresh one (it would never expire)
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/voting-token',
      headers: { authorization: `Bearer ${exchanged.json().token}` },
    });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('INVALID_TOKEN');
  });

  describe('bad input gets the documented 4xx and changes nothing', async () => {
    const otherKeys = await generateDevKeys();
    const cases: Array<{
      name: string;
      status: number;
      code: string;
      send: (id: string, closedId: string, draftId: string) => ReturnType<typeof vote>;
    }> = [
      { name: 'malformed JSON', status: 400, code: 'INVALID_JSON', send: (id) => vote(id, t.voterToken('v1'), '{"optionId": "a"') },
      { name: 'empty body', status: 400, code: 'INVALID_JSON', send: (id) => vote(id, t.voterToken('v1'), '') },
      { name: 'wrong type', status: 400, code: 'INVALID_BODY', send: (id) => vote(id, t.voterToken('v1'), { optionId: 5 }) },
      { name: 'array body', status: 400, code: 'INVALID_BODY', send: (id) => vote(id, t.voterToken('v1'), [{ optionId: 'a' }]) },
      { name: 'missing optionId', status: 400, code: 'INVALID_BODY', send: (id) => vote(id, t.voterToken('v1'), {}) },
      { name: 'unknown option', status: 400, code: 'UNKNOWN_OPTION', send: (id) => vote(id, t.voterToken('v1'), { optionId: 'zzz' }) },
      {
        name: 'extra field (userId smuggling)',
        status: 400,
        code: 'INVALID_BODY',
        send: (id) => vote(id, t.voterToken('v1'), { optionId: 'a', userId: 'victim' }),
      },
      { name: 'no token', status: 401, code: 'AUTH_REQUIRED', send: (id) => vote(id, undefined, { optionId: 'a' }) },
      {
        name: 'not a bearer token',
        status: 401,
        code: 'INVALID_TOKEN',
        send: (id) => vote(id, undefined, { optionId: 'a' }, { authorization: 'Basic dXNlcjpwdw==' }),
      },
      { name: 'garbage token', status: 401, code: 'INVALID_TOKEN', send: (id) => vote(id, 'not.a.jwt', { optionId: 'a' }) },
      {
        name: 'voting token signed with another secret',
        status: 401,
        code: 'INVALID_TOKEN',
        send: (id) => vote(id, mintVotingToken({ userId: 'v1', role: 'voter' }, Buffer.alloc(32, 7), 300), { optionId: 'a' }),
      },
      {
        name: 'expired voting token',
        status: 401,
        code: 'INVALID_TOKEN',
        send: (id) =>
          vote(id, mintVotingToken({ userId: 'v1', role: 'voter' }, t.votingSecret, 60, Date.now() - 120_000), { optionId: 'a' }),
      },
      {
        name: 'IdP token from an unknown key',
        status: 401,
        code: 'INVALID_TOKEN',
        send: async (id) =>
          vote(id, await (await DevIssuer.fromJwk(otherKeys.privateJwk)).issue({ userId: 'v1', role: 'voter' }), { optionId: 'a' }),
      },
      {
        name: 'IdP token expired',
        status: 401,
        code: 'INVALID_TOKEN',
        send: async (id) =>
          vote(id, await (await DevIssuer.fromJwk(t.keys.privateJwk)).issue({ userId: 'v1', role: 'voter' }, -10), { optionId: 'a' }),
      },
      {
        name: 'voting token with a second spelling of its signature (padding)',
        status: 401,
        code: 'INVALID_TOKEN',
        send: (id) => vote(id, `${t.voterToken('v1')}=`, { optionId: 'a' }),
      },
      {
        name: 'IdP token without exp',
        status: 401,
        code: 'INVALID_TOKEN',
        send: async (id) =>
          vote(
            id,
            await new SignJWT({ role: 'voter' })
              .setProtectedHeader({ alg: 'EdDSA', kid: t.keys.privateJwk.kid as string })
              .setSubject('v1')
              .setIssuer(DEV_ISSUER)
              .setAudience(DEV_AUDIENCE)
              .setIssuedAt()
              .sign(await importJWK(t.keys.privateJwk, 'EdDSA')),
            { optionId: 'a' },
          ),
      },
      {
        name: 'unsigned token (alg none)',
        status: 401,
        code: 'INVALID_TOKEN',
        send: (id) =>
          vote(
            id,
            `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"v1","role":"voter"}').toString('base64url')}.`,
            { optionId: 'a' },
          ),
      },
      {
        name: 'admin token on the vote route',
        status: 403,
        code: 'FORBIDDEN',
        send: async (id) => vote(id, await t.adminToken(), { optionId: 'a' }),
      },
      {
        name: 'no token and a 1 MB body (auth comes before parsing)',
        status: 401,
        code: 'AUTH_REQUIRED',
        send: (id) => vote(id, undefined, JSON.stringify({ optionId: 'a', pad: 'x'.repeat(1024 * 1024) })),
      },
      { name: 'no token and malformed JSON', status: 401, code: 'AUTH_REQUIRED', send: (id) => vote(id, undefined, '{oops') },
      {
        name: '1 MB body',
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        send: (id) => vote(id, t.voterToken('v1'), JSON.stringify({ optionId: 'a', pad: 'x'.repeat(1024 * 1024) })),
      },
      {
        name: 'not JSON content type',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        send: (id) => vote(id, t.voterToken('v1'), 'optionId=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      {
        name: 'closed election',
        status: 409,
        code: 'ELECTION_NOT_OPEN',
        send: (_id, closedId) => vote(closedId, t.voterToken('v1'), { optionId: 'a' }),
      },
      {
        name: 'draft election',
        status: 409,
        code: 'ELECTION_NOT_OPEN',
        send: (_id, _c, draftId) => vote(draftId, t.voterToken('v1'), { optionId: 'a' }),
      },
      {
        name: 'unknown election',
        status: 404,
        code: 'ELECTION_NOT_FOUND',
        send: () => vote('no-such-election', t.voterToken('v1'), { optionId: 'a' }),
      },
    ];

    it.each(cases)('$name → $status $code', async ({ status, code, send }) => {
      const id = await createElection(t);
      const closedId = await createElection(t);
      await t.admin.inject({
        method: 'POST',
        url: `/v1/elections/${closedId}/close`,
        headers: { authorization: `Bearer ${await t.adminToken()}` },
      });
      const draftId = await createElection(t, { open: false });
      const logBefore = await t.logLength();
      const response = await send(id, closedId, draftId);
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.json()).toEqual({ error: { code, message: expect.any(String) } });
      expect(await t.logLength()).toBe(logBefore);
      for (const e of [id, closedId]) expect((await t.tally.results(e))?.total).toBe(0);
      // the refusal is counted under its code, and the process is still serving
      expect(await t.app.inject({ url: '/metrics' }).then((r) => r.body)).toMatch(
        new RegExp(`urna_votes_refused_total\\{code="${code}"\\} [1-9]`),
      );
      expect((await vote(id, t.voterToken('after'), { optionId: 'a' })).statusCode).toBe(202);
    });
  });
});

describe('dev issuer', () => {
  it('is off unless dev mode is on, and /v1/auth/config tells browsers which sign-in to use', async () => {
    expect((await t.app.inject({ url: '/v1/auth/config' })).json()).toEqual({ mode: 'dev', votingTokens: true });
    const prod = await buildTestIngest({ devMode: false });
    try {
      const response = await prod.app.inject({ method: 'POST', url: '/v1/dev/token', payload: { userId: 'x', role: 'admin' } });
      expect(response.statusCode).toBe(404);
      expect((await prod.app.inject({ url: '/v1/auth/config' })).json()).toMatchObject({ mode: 'oidc' });
    } finally {
      await prod.close();
    }
  });

  it('issues tokens that the services accept, and validates its input', async () => {
    const ok = await t.app.inject({ method: 'POST', url: '/v1/dev/token', payload: { userId: 'carol', role: 'voter' } });
    expect(ok.statusCode).toBe(200);
    const bad = await t.app.inject({ method: 'POST', url: '/v1/dev/token', payload: { userId: 'carol', role: 'root' } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('admin: log lag', () => {
  it("reports each projection group's backlog to admins only", async () => {
    expect((await t.app.inject({ url: '/v1/admin/log' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/v1/admin/log', headers: { authorization: `Bearer ${t.voterToken('nosy')}` } })).statusCode).toBe(
      403,
    );
    const id = await createElection(t, { optionIds: ['a', 'b'] });
    expect((await vote(id, t.voterToken('lagging'), { optionId: 'a' })).statusCode).toBe(202);
    const response = await t.app.inject({ url: '/v1/admin/log', headers: { authorization: `Bearer ${await t.adminToken()}` } });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { partitions: number; groups: Record<string, { undelivered: number; pending: number }> };
    expect(body.partitions).toBe(4);
    // nothing consumes this test's log: every appended vote is still ahead of both projections
    expect(body.groups['live-tally']?.undelivered).toBeGreaterThanOrEqual(1);
    expect(body.groups['vote-store']?.undelivered).toBe(body.groups['live-tally']?.undelivered);
    expect(body.groups.transparency?.undelivered).toBe(body.groups['live-tally']?.undelivered);
  });
});
