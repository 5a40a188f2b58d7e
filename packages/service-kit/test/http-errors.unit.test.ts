/** Router and body-parser refusals come out in urna's error shape with the right status (black-box findings). */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { UrnaError } from '@urna/domain';
import { createHttpApp } from '../src/http.ts';

function app() {
  const a = createHttpApp({ service: 'test', registry: new Registry() });
  a.get('/v1/elections/:id/results', async (request) => {
    throw new UrnaError('ELECTION_NOT_FOUND', `no election ${(request.params as { id: string }).id.length} characters long`);
  });
  a.post('/v1/elections/:id/votes', async () => ({ ok: true }));
  return a;
}

describe('createHttpApp refusals', () => {
  it("an id longer than fastify's default 100 characters reaches the route (404 in urna's shape, not the router's 414)", async () => {
    const response = await app().inject({ method: 'GET', url: `/v1/elections/${'x'.repeat(300)}/results` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'ELECTION_NOT_FOUND', message: 'no election 300 characters long' } });
  });

  it("a path segment over 512 characters: 414 in urna's shape", async () => {
    const response = await app().inject({ method: 'GET', url: `/v1/elections/${'x'.repeat(3_000)}/results` });
    expect(response.statusCode).toBe(414);
    expect(response.json()).toMatchObject({ error: { code: 'URI_TOO_LONG' } });
  });

  it("a malformed URL: 400 in urna's shape", async () => {
    const response = await app().inject({ method: 'GET', url: '/v1/elections/%E0%A4%A/results' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it('a JSON body sent as text/plain: 415 like every other media type, the route never runs', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/v1/elections/e/votes',
      headers: { 'content-type': 'text/plain' },
      payload: '{"optionId":"a"}',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('an outage (a retriable 503 on every request) is one log line per code per second, not a stack trace per request', async () => {
    const lines: string[] = [];
    const a = createHttpApp({
      service: 'test',
      registry: new Registry(),
      logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } },
    });
    a.post('/v1/elections/:id/votes', async () => {
      throw new UrnaError('LOG_UNAVAILABLE', 'the vote log is unavailable', { status: 503, retriable: true, retryAfterSeconds: 1 });
    });
    a.get('/boom', async () => {
      throw new Error('a bug');
    });
    for (let i = 0; i < 50; i++)
      expect((await a.inject({ method: 'POST', url: '/v1/elections/e/votes', payload: {} })).statusCode).toBe(503);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ code: 'LOG_UNAVAILABLE', refusals: 1 });
    for (let i = 0; i < 3; i++) expect((await a.inject({ method: 'GET', url: '/boom' })).statusCode).toBe(500);
    expect(lines).toHaveLength(4); // a non-retriable 5xx is a bug: logged every time, with its stack
  });
});
