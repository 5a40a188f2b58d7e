import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestIngest, createElection, type TestIngest } from './apps.ts';

/*
 * GET /v1/elections is public and hit by every voter page: it reads the lifecycle's listing
 * index in Redis, never scans the elections table, and never shows a draft to anyone but an
 * admin.
 */
let t: TestIngest;
const commands: string[] = [];
beforeAll(async () => {
  t = await buildTestIngest();
  t.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
});
afterAll(async () => {
  await t.close();
});

it('lists open and closed elections without a Scan; drafts only with an admin token', async () => {
  const draft = await createElection(t, { open: false });
  const open = await createElection(t, { open: true });
  const closed = await createElection(t, { open: true });
  const admin = await t.adminToken();
  expect(
    (await t.admin.inject({ method: 'POST', url: `/v1/elections/${closed}/close`, headers: { authorization: `Bearer ${admin}` } }))
      .statusCode,
  ).toBe(200);

  commands.length = 0;
  const list = async (authorization?: string) => {
    const response = await t.admin.inject({
      method: 'GET',
      url: '/v1/elections',
      headers: authorization === undefined ? {} : { authorization },
    });
    expect(response.statusCode).toBe(200);
    return (response.json() as { elections: Array<{ id: string; status: string }> }).elections;
  };
  const anonymous = await list();
  const ids = anonymous.map((e) => e.id);
  expect(ids).toContain(open);
  expect(ids).toContain(closed);
  expect(ids).not.toContain(draft);
  expect(anonymous.every((e) => e.status !== 'draft')).toBe(true);
  expect(anonymous.find((e) => e.id === closed)?.status).toBe('closed');
  // a voter's token, and a bad one, see what anonymous callers see
  expect((await list(`Bearer ${t.voterToken('alice')}`)).map((e) => e.id)).not.toContain(draft);
  expect((await list('Bearer not-a-token')).map((e) => e.id)).not.toContain(draft);
  // the admin console sees drafts, to open them
  expect((await list(`Bearer ${admin}`)).map((e) => e.id)).toEqual(expect.arrayContaining([draft, open, closed]));
  expect(commands).toEqual([]); // no Scan, no DynamoDB call at all

  // opening a draft lists it for everyone
  await t.admin.inject({ method: 'POST', url: `/v1/elections/${draft}/open`, headers: { authorization: `Bearer ${admin}` } });
  expect((await list()).map((e) => e.id)).toContain(draft);
});
