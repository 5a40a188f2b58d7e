import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestIngest, type TestIngest } from '../../test/apps.ts';

let t: TestIngest;
beforeAll(async () => {
  t = await buildTestIngest();
});
afterAll(async () => t.close());

const cookieFrom = (setCookie: string | string[] | undefined) => String(Array.isArray(setCookie) ? setCookie[0] : setCookie);

describe('bull-board behind the admin session', () => {
  it('no session → 401, a voter → 403, an admin session → the dashboard and its API', async () => {
    expect((await t.admin.inject({ url: '/admin/queues' })).statusCode).toBe(401);
    expect((await t.admin.inject({ url: '/admin/queues/api/queues' })).statusCode).toBe(401);
    expect((await t.admin.inject({ method: 'POST', url: '/v1/admin/session' })).statusCode).toBe(401);
    expect(
      (await t.admin.inject({ method: 'POST', url: '/v1/admin/session', headers: { authorization: `Bearer ${t.voterToken('mallory')}` } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await t.admin.inject({ url: '/admin/queues/api/queues', headers: { cookie: `urna_admin=${t.voterToken('mallory')}` } })).statusCode,
    ).toBe(403);

    const session = await t.admin.inject({
      method: 'POST',
      url: '/v1/admin/session',
      headers: { authorization: `Bearer ${await t.adminToken()}` },
    });
    expect(session.statusCode).toBe(200);
    const cookie = cookieFrom(session.headers['set-cookie']);
    expect(cookie).toMatch(/^urna_admin=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    const overTls = await t.admin.inject({
      method: 'POST',
      url: '/v1/admin/session',
      headers: { authorization: `Bearer ${await t.adminToken()}`, 'x-forwarded-proto': 'https' },
    });
    expect(cookieFrom(overTls.headers['set-cookie'])).toMatch(/; Secure/);

    const pair = cookie.split(';')[0] as string;
    const page = await t.admin.inject({ url: '/admin/queues', headers: { cookie: pair } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<html/i);
    expect(page.body).not.toMatch(/https?:\/\//); // same-origin only: bull-board's Google Fonts link is removed
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const api = await t.admin.inject({ url: '/admin/queues/api/queues', headers: { cookie: pair } });
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('urna-lifecycle');
    // a write from another origin is refused even with the cookie (CSRF)
    const forged = await t.admin.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/urna-lifecycle/pause',
      headers: { cookie: pair, origin: 'https://evil.example', host: 'localhost:8080' },
    });
    expect(forged.statusCode).toBe(403);
  });
});
