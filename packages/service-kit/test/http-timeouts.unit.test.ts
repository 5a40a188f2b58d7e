import { Socket } from 'node:net';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, HTTP_TIMEOUT_DEFAULTS, httpTimeoutsOf, loadConfig, sharedConfigShape } from '../src/index.ts';

/*
 * Every service's own socket limits, with a raw socket against the service port (no edge in
 * front): dribbled headers, a slowly sent body and an idle keep-alive connection are all cut.
 * Short limits here; the defaults are checked to be what the README documents.
 */
const config = loadConfig(z.object(sharedConfigShape), {
  URNA_HTTP_HEADERS_TIMEOUT_MS: '1000',
  URNA_HTTP_REQUEST_TIMEOUT_MS: '2000',
  URNA_HTTP_KEEPALIVE_TIMEOUT_MS: '1000',
  URNA_HTTP_IDLE_TIMEOUT_MS: '3000',
});
const app = createHttpApp({ service: 'test', registry: new Registry(), timeouts: { ...httpTimeoutsOf(config), checkIntervalMs: 200 } });
app.post('/echo', async (request) => request.body);
let port = 0;
beforeAll(async () => {
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
});

/** Opens a socket, runs `drive` on it, and resolves with what the server sent and when it closed the socket. */
const session = (drive: (socket: Socket) => void, giveUpMs = 10_000) =>
  new Promise<{ closedAfterMs: number; received: string }>((resolve) => {
    const socket = new Socket();
    const t0 = Date.now();
    let received = '';
    const timer = setTimeout(() => (socket.destroy(), resolve({ closedAfterMs: Infinity, received })), giveUpMs);
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - t0, received });
    });
    socket.connect(port, '127.0.0.1', () => drive(socket));
  });

describe('service-level HTTP timeouts', () => {
  it('defaults: headers 10 s, request 15 s, keep-alive 65 s (above the edge upstream keepalive_timeout 60 s), idle 120 s', () => {
    expect(httpTimeoutsOf(loadConfig(z.object(sharedConfigShape), {}))).toEqual({
      headersMs: 10_000,
      requestMs: 15_000,
      keepAliveMs: 65_000,
      idleMs: 120_000,
    });
    expect(HTTP_TIMEOUT_DEFAULTS.checkIntervalMs).toBeLessThanOrEqual(1_000);
  });

  it('cuts a client dribbling its headers (slowloris) after the headers timeout', async () => {
    const result = await session((socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 300);
      socket.on('close', () => clearInterval(drip));
    });
    expect(result.closedAfterMs).toBeLessThan(4_000);
    expect(result.received).not.toContain('"status":"ok"');
  });

  it('cuts a slowly sent body after the request timeout, with 408', async () => {
    const result = await session((socket) => {
      socket.write('POST /echo HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"a":"');
      const drip = setInterval(() => socket.writable && socket.write('x'), 200);
      socket.on('close', () => clearInterval(drip));
    });
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(1_500);
    expect(result.closedAfterMs).toBeLessThan(5_000);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout, and a silent one by the idle timeout at the latest', async () => {
    const idle = await session((socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(idle.received).toContain('"status":"ok"');
    expect(idle.closedAfterMs).toBeLessThan(3_000);
    const silent = await session(() => undefined);
    expect(silent.closedAfterMs).toBeLessThan(5_000);
  });
});
