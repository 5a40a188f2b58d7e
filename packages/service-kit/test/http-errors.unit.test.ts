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
    expect(response.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
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
});
