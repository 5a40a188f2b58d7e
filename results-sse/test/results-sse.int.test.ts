import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createTokenVerifier, mintVotingToken } from '@urna/auth';
import { LiveTally, type ResultsSnapshot } from '@urna/tally';
import { buildResultsApp } from '../src/app.ts';
import { ResultsHub } from '../src/results-hub.ts';
import { eventually, randomName, testRedis } from '../../test/helpers.ts';
import { makeLog } from '../../test/fixtures.ts';
import { SseClient } from '../../test/sse-client.ts';

const redis = testRedis();
const subscriber = testRedis();
const tally = new LiveTally({ redis, buckets: 64 });
const secret = Buffer.alloc(32, 3);
const hub = new ResultsHub(tally, subscriber, { minIntervalMs: 250, heartbeatMs: 200 });
const app = buildResultsApp({ tally, hub, verifier: createTokenVerifier({ issuer: 'x', audience: 'y', votingSecret: secret }), registry: new Registry() });
let base: string;

beforeAll(async () => {
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  hub.close();
  await app.close();
  redis.disconnect();
  subscriber.disconnect();
});

async function election(): Promise<string> {
  const id = randomName('e');
  await tally.initElection(id, ['a', 'b']);
  return id;
}

describe('results over SSE', () => {
  it('sends a snapshot at once, then coalesced updates (≤ ~4/s) until the final total', async () => {
    const id = await election();
    const client = new SseClient(`${base}/v1/elections/${id}/results/stream`);
    await eventually('first snapshot', async () => (client.events.length >= 1 ? true : undefined));
    expect(client.status).toBe(200);
    expect(client.latest<ResultsSnapshot>()).toEqual({ electionId: id, counts: { a: 0, b: 0 }, total: 0, version: 0, final: false });

    const started = Date.now();
    for (let batch = 0; batch < 40; batch++) {
      await tally.apply(makeLog(id, Array.from({ length: 25 }, (_, i) => ({ userId: `u${batch}-${i}`, optionId: i % 2 ? 'a' : 'b' }))));
      await new Promise((r) => setTimeout(r, 10));
    }
    await eventually('final total', async () => (client.latest<ResultsSnapshot>()?.total === 1000 ? true : undefined));
    const elapsed = Date.now() - started;
    const updates = client.events.length - 1;
    expect(updates).toBeLessThan(40); // 40 changes were coalesced
    expect(updates).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    const ids = client.events.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(client.events.every((e) => e.event === 'results')).toBe(true);
    client.close();
  });

  it('honours Last-Event-ID: no snapshot resent when the client already has the current version', async () => {
    const id = await election();
    await tally.apply(makeLog(id, [{ userId: 'u1', optionId: 'a' }]));
    const current = (await tally.results(id))!.version;
    const upToDate = new SseClient(`${base}/v1/elections/${id}/results/stream`, { 'last-event-id': String(current) });
    const behind = new SseClient(`${base}/v1/elections/${id}/results/stream`, { 'last-event-id': String(current - 1) });
    await eventually('behind client caught up', async () => (behind.events.length === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(upToDate.events).toHaveLength(0);
    await tally.apply(makeLog(id, [{ userId: 'u2', optionId: 'b' }]));
    await eventually('update after reconnect', async () => (upToDate.latest<ResultsSnapshot>()?.total === 2 ? true : undefined));
    upToDate.close();
    behind.close();
  });

  it('sends heartbeats to idle clients', async () => {
    const id = await election();
    const response = await fetch(`${base}/v1/elections/${id}/results/stream`);
    const reader = response.body!.getReader();
    let text = '';
    const deadline = Date.now() + 3_000;
    while (!text.includes(': heartbeat') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(': heartbeat');
    await reader.cancel();
  });

  it('unknown elections are 404 in JSON and in SSE', async () => {
    expect((await fetch(`${base}/v1/elections/none-here/results`)).status).toBe(404);
    const stream = await fetch(`${base}/v1/elections/none-here/results/stream`);
    expect(stream.status).toBe(404);
    expect(await stream.json()).toMatchObject({ error: { code: 'ELECTION_NOT_FOUND' } });
  });

  it('votes/me needs a voter token and is 404 with no votes', async () => {
    const id = await election();
    expect((await fetch(`${base}/v1/elections/${id}/votes/me`)).status).toBe(401);
    const token = mintVotingToken({ userId: 'nobody', role: 'voter' }, secret, 60);
    const none = await fetch(`${base}/v1/elections/${id}/votes/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: { code: 'NO_VOTES' } });
  });

  it('shares one subscription per election among all clients of the process', async () => {
    const id = await election();
    const clients = Array.from({ length: 20 }, () => new SseClient(`${base}/v1/elections/${id}/results/stream`));
    await eventually('all connected', async () => (clients.every((c) => c.events.length >= 1) ? true : undefined));
    const channels = (await redis.call('PUBSUB', 'NUMSUB', tally.keys.channel(id))) as [string, number];
    expect(Number(channels[1])).toBe(1);
    await tally.apply(makeLog(id, [{ userId: 'x', optionId: 'a' }]));
    await eventually('all updated', async () => (clients.every((c) => c.latest<ResultsSnapshot>()?.total === 1) ? true : undefined));
    clients.forEach((c) => c.close());
  });
});
