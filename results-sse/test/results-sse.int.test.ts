import { connect } from 'node:net';
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
const app = buildResultsApp({
  tally,
  hub,
  verifier: createTokenVerifier({ issuer: 'x', audience: 'y', votingSecret: secret }),
  registry: new Registry(),
});
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
      await tally.apply(
        makeLog(
          id,
          Array.from({ length: 25 }, (_, i) => ({ userId: `u${batch}-${i}`, optionId: i % 2 ? 'a' : 'b' })),
        ),
      );
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

  it('a Last-Event-ID ahead of the current version (a rebuilt read model, a made-up id) gets the snapshot, not silence', async () => {
    const id = await election();
    await tally.apply(makeLog(id, [{ userId: 'u1', optionId: 'a' }]));
    const current = (await tally.results(id))!.version;
    const ahead = new SseClient(`${base}/v1/elections/${id}/results/stream`, { 'last-event-id': String(current + 1_000) });
    await eventually('snapshot for a client ahead', async () => (ahead.latest<ResultsSnapshot>()?.total === 1 ? true : undefined), 3_000);
    ahead.close();
  });

  it('HEAD on the stream answers its headers at once and holds no stream', async () => {
    const id = await election();
    // earlier tests' streams leave the hub when their sockets close: wait for an empty hub
    await eventually('no stream left from earlier tests', async () => (hub.clientCount === 0 ? true : undefined), 5_000);
    const response = await fetch(`${base}/v1/elections/${id}/results/stream`, { method: 'HEAD', signal: AbortSignal.timeout(3_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(hub.clientCount).toBe(0);
    expect((await fetch(`${base}/v1/elections/none-here/results/stream`, { method: 'HEAD' })).status).toBe(404);
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

describe('stream limits', () => {
  it('a client that leaves while it joins does not stay in the room (no leak of clients or subscriptions)', async () => {
    const id = await election();
    const port = Number(new URL(base).port);
    for (let i = 0; i < 200; i++) {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET /v1/elections/${id}/results/stream HTTP/1.1\r\nHost: x\r\n\r\n`);
        setImmediate(() => socket.destroy());
      });
      socket.on('error', () => undefined);
    }
    await new Promise((r) => setTimeout(r, 1_500));
    await eventually('every client gone', async () => (hub.clientCount === 0 ? true : undefined), 5_000);
  });

  it('answers 503 + Retry-After above the per-process stream cap', async () => {
    // its own hub: closing this app closes its hub (preClose)
    const ownSubscriber = testRedis();
    const ownHub = new ResultsHub(tally, ownSubscriber, { minIntervalMs: 250, heartbeatMs: 200 });
    const capped = buildResultsApp({
      tally,
      hub: ownHub,
      verifier: createTokenVerifier({ issuer: 'x', audience: 'y', votingSecret: secret }),
      registry: new Registry(),
      maxStreams: 2,
    });
    const url = await capped.listen({ port: 0, host: '127.0.0.1' });
    const id = await election();
    const clients = [new SseClient(`${url}/v1/elections/${id}/results/stream`), new SseClient(`${url}/v1/elections/${id}/results/stream`)];
    try {
      await eventually('two streams', async () => (ownHub.clientCount === 2 ? true : undefined));
      const third = await fetch(`${url}/v1/elections/${id}/results/stream`);
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('2');
      expect(((await third.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      for (const c of clients) c.close();
      await capped.close();
      ownSubscriber.disconnect();
    }
  });
});

describe('shutdown', () => {
  it('closing the app ends open SSE streams (preClose) instead of waiting for their clients', async () => {
    const ownSubscriber = testRedis();
    const ownHub = new ResultsHub(tally, ownSubscriber, { minIntervalMs: 250, heartbeatMs: 200 });
    const own = buildResultsApp({
      tally,
      hub: ownHub,
      verifier: createTokenVerifier({ issuer: 'x', audience: 'y', votingSecret: secret }),
      registry: new Registry(),
    });
    const ownBase = await own.listen({ port: 0, host: '127.0.0.1' });
    const id = await election();
    const response = await fetch(`${ownBase}/v1/elections/${id}/results/stream`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the stream is open
    const closing = own.close();
    const closed = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 5_000))]);
    ownSubscriber.disconnect();
    expect(closed).toBe('closed');
    let done = false;
    while (!done) done = (await reader.read()).done;
  });
});
