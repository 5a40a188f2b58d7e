import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@urna/embedded';
import { renderTemplate } from '../src/edge.ts';
import { requestFrom, startEdge, type RunningEdge } from './edge-process.ts';

/*
 * The edge is real nginx rendered from edge/urna.conf.template. Behind it, a small Node server
 * stands in for ingest and results-sse: it echoes what it received, streams SSE without end on
 * …/results/stream, and counts the connections the edge holds open to it.
 */
interface Upstream {
  readonly server: Server;
  readonly url: string;
  requests: number;
  open: number;
  readonly sockets: Set<Socket>;
}

async function startUpstream(): Promise<Upstream> {
  const state = { requests: 0, open: 0, sockets: new Set<Socket>() } as Upstream;
  const server = createServer((req, res) => {
    state.requests++;
    if (req.url?.endsWith('/results/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('event: results\ndata: {}\n\n');
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      res
        .writeHead(req.method === 'GET' ? 200 : 202, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ method: req.method, path: req.url, body, auth: req.headers.authorization, xff: req.headers['x-forwarded-for'] }),
        ),
    );
  });
  server.on('connection', (socket) => {
    state.open++;
    state.sockets.add(socket);
    socket.once('close', () => {
      state.open--;
      state.sockets.delete(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return Object.assign(state, { server, url: `127.0.0.1:${(server.address() as AddressInfo).port}` });
}

const until = async (what: string, check: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('edge template rendering', () => {
  it('repeats a list placeholder per item, drops it when empty, refuses an unknown placeholder', () => {
    expect(renderTemplate('a ${URNA_EDGE_CORS_ORIGINS};\nb ${X};', { URNA_EDGE_CORS_ORIGINS: '', X: '1' })).toBe('b 1;');
    expect(renderTemplate('set_real_ip_from ${URNA_EDGE_TRUSTED_PROXIES};', { URNA_EDGE_TRUSTED_PROXIES: '10.0.0.0/8, ::1' })).toBe(
      'set_real_ip_from 10.0.0.0/8;\nset_real_ip_from ::1;',
    );
    expect(() => renderTemplate('x ${NOPE};', {})).toThrow(/NOPE/);
  });
});

describe('edge (nginx) in front of the services', () => {
  let upstream: Upstream;
  let edge: RunningEdge;
  let webRoot: string;
  beforeAll(async () => {
    upstream = await startUpstream();
    webRoot = mkdtempSync(join(tmpdir(), 'urna-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>voter</title>');
    writeFileSync(join(webRoot, 'admin.html'), '<!doctype html><title>admin</title>');
    writeFileSync(join(webRoot, 'assets', 'voter-abc123.js'), 'console.log(1)');
    writeFileSync(join(webRoot, 'package.json'), '{"secret":true}');
    edge = await startEdge(
      { ingest: upstream.url, results: upstream.url },
      { URNA_EDGE_REQ_PER_SEC: '1000', URNA_EDGE_REQ_BURST: '1000', URNA_EDGE_SSE_PER_IP: '1000' },
      webRoot,
    );
  });
  afterAll(async () => {
    await edge?.stop();
    upstream?.server.closeAllConnections();
    upstream?.server.close();
  });

  it("proxies method, path, headers and body; X-Forwarded-For is the connecting address, never the client's claim", async () => {
    const response = await fetch(`${edge.base}/v1/elections/x/votes?q=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6' },
      body: '{"optionId":"a"}',
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${edge.base}/v1/elections/x/results`)).headers.get('cache-control')).toBe('public, max-age=1');
    expect((await fetch(`${edge.base}/v1/elections/x/votes/me`)).headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      method: 'POST',
      path: '/v1/elections/x/votes?q=1',
      body: '{"optionId":"a"}',
      auth: 'Bearer t',
      xff: '127.0.0.1',
    });
  });

  it('serves the pages with a same-origin CSP, hashed assets cached forever, nothing else of the web root', async () => {
    const page = await fetch(`${edge.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('voter');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await (await fetch(`${edge.base}/admin`)).text()).toContain('admin');
    const asset = await fetch(`${edge.base}/assets/voter-abc123.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    for (const path of ['/assets/..%2F..%2Fpackage.json', '/assets/nope.js', '/package.json', '/metrics', '/healthz/../metrics']) {
      const response = await fetch(`${edge.base}${path}`);
      expect([400, 404], path).toContain(response.status);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toMatch(/NOT_FOUND|BAD_REQUEST/);
    }
    expect((await fetch(`${edge.base}/`, { method: 'POST' })).status).toBe(404);
  });

  it('a 1 MB body is 413 PAYLOAD_TOO_LARGE every time, never 503', async () => {
    const big = 'a'.repeat(1 << 20);
    for (let i = 0; i < 10; i++) {
      const response = await requestFrom(edge.base, '/v1/elections/x/votes', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: big,
      }).catch(() => undefined);
      // nginx may answer and close before the whole body is sent; an answer, if read, is 413
      if (response !== undefined) {
        expect(response.status).toBe(413);
        expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      }
    }
  });

  it('refuses a GET with a chunked body (request smuggling): the body never reaches a service as a request', async () => {
    const before = upstream.requests;
    const smuggled = 'POST /v1/elections/x/votes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}';
    const raw = `GET /v1/elections/x/results HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(edge.port, '127.0.0.1', () => socket.write(raw));
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      setTimeout(() => socket.destroy(), 2_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer.match(/HTTP\/1\.1/g)?.length).toBe(1);
    expect(upstream.requests).toBe(before);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when a service is down', async () => {
    const down = await startEdge({ ingest: `127.0.0.1:${await freePort()}`, results: `127.0.0.1:${await freePort()}` });
    try {
      const response = await fetch(`${down.base}/v1/elections/x/results`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      await down.stop();
    }
  });

  it('result streams dropped by their clients right after sending free their upstream connections (black-box finding #1)', async () => {
    await until('idle pool settled', () => upstream.sockets.size <= 64);
    const baseline = upstream.open;
    const sockets: Socket[] = [];
    for (let i = 0; i < 200; i++) {
      const socket = connect(edge.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`GET /v1/elections/e${i}/results/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
      sockets.push(socket);
    }
    await until('streams reached the upstream', () => upstream.open >= baseline + 150).catch((e: Error) => {
      throw new Error(`${e.message} open ${upstream.open} baseline ${baseline}`);
    });
    for (const socket of sockets) socket.destroy();
    await until(
      `upstream connections back to the pool (open ${upstream.open}, baseline ${baseline})`,
      () => upstream.open <= baseline + 2,
      5_000,
    );
  });

  it('cuts the client stream when the upstream dies mid-stream', async () => {
    const response = await fetch(`${edge.base}/v1/elections/cut/results/stream`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    for (const socket of upstream.sockets) socket.destroy();
    const ended = await Promise.race([
      (async () => {
        try {
          while (!(await reader.read()).done);
          return 'ended';
        } catch {
          return 'errored';
        }
      })(),
      new Promise((r) => setTimeout(() => r('still open'), 3_000)),
    ]);
    expect(ended).not.toBe('still open');
  });
});

describe('edge: per-client limits (IPv4 /32, IPv6 /64), slow clients', () => {
  let upstream: Upstream;
  let edge: RunningEdge;
  beforeAll(async () => {
    upstream = await startUpstream();
    edge = await startEdge(
      { ingest: upstream.url, results: upstream.url },
      {
        URNA_EDGE_REQ_PER_SEC: '1',
        URNA_EDGE_REQ_BURST: '20',
        URNA_EDGE_SSE_PER_IP: '5',
        URNA_EDGE_CLIENT_TIMEOUT: '2s',
        URNA_EDGE_TRUSTED_PROXIES: '127.0.0.3',
      },
    );
  });
  afterAll(async () => {
    await edge?.stop();
    upstream?.server.closeAllConnections();
    upstream?.server.close();
  });

  const burst = async (n: number, options: Parameters<typeof requestFrom>[2]) => {
    const statuses = await Promise.all(
      Array.from({ length: n }, () => requestFrom(edge.base, '/v1/elections', options).then((r) => r.status)),
    );
    return { ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length };
  };

  it('limits requests per address with 429 RATE_LIMITED + Retry-After; another address is not affected', async () => {
    const flood = await burst(60, { localAddress: '127.0.0.1' });
    expect(flood.limited).toBeGreaterThan(30);
    const limited = await requestFrom(edge.base, '/v1/elections', { localAddress: '127.0.0.1' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect((await requestFrom(edge.base, '/v1/elections', { localAddress: '127.0.0.2' })).status).toBe(200);
  });

  it('believes X-Forwarded-For only from a trusted proxy, and keys IPv6 clients by their /64', async () => {
    const via = (xff: string) => ({ localAddress: '127.0.0.3', headers: { 'x-forwarded-for': xff } });
    const echoed = JSON.parse((await requestFrom(edge.base, '/v1/x', via('2001:db8:1:2::7'))).body) as { xff: string };
    expect(echoed.xff).toBe('2001:db8:1:2::7');
    // an untrusted sender's header is ignored
    expect(
      (
        JSON.parse(
          (await requestFrom(edge.base, '/v1/x', { localAddress: '127.0.0.4', headers: { 'x-forwarded-for': '9.9.9.9' } })).body,
        ) as { xff: string }
      ).xff,
    ).toBe('127.0.0.4');
    // two addresses of one /64 share one budget; the next /64 has its own
    const a = await burst(30, via('2001:db8:aa:1::1'));
    const b = await burst(30, via('2001:db8:aa:1:ffff::2'));
    expect(a.limited + b.limited).toBeGreaterThan(30);
    expect(b.ok).toBeLessThan(5);
    const other = await burst(10, via('2001:db8:aa:2::1'));
    expect(other.ok).toBe(10);
  });

  it('caps result streams per address (429); another address still gets a stream', async () => {
    await new Promise((r) => setTimeout(r, 1_100)); // let the request budget refill
    const open = (localAddress: string) =>
      new Promise<{ status: number; socket: Socket }>((resolve) => {
        const socket = connect({ port: edge.port, host: '127.0.0.1', localAddress });
        socket.on('error', () => undefined);
        socket.write('GET /v1/elections/s/results/stream HTTP/1.1\r\nHost: x\r\n\r\n');
        socket.once('data', (d) => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(d.toString())?.[1]), socket }));
      });
    const streams = await Promise.all(Array.from({ length: 12 }, () => open('127.0.0.5')));
    try {
      expect(streams.filter((s) => s.status === 200).length).toBe(5);
      expect(streams.filter((s) => s.status === 429).length).toBe(7);
      const other = await open('127.0.0.6');
      expect(other.status).toBe(200);
      other.socket.destroy();
    } finally {
      for (const s of streams) s.socket.destroy();
    }
  });

  it('slowloris: 200 sockets dribbling headers do not stop a normal client, and are cut within the client timeout', async () => {
    const slow: Socket[] = [];
    const closedAt: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 200; i++) {
      const socket = connect({ port: edge.port, host: '127.0.0.1', localAddress: '127.0.0.7' });
      socket.on('error', () => undefined);
      socket.once('close', () => closedAt.push(Date.now() - started));
      socket.write('GET /v1/elections HTTP/1.1\r\nHost: x\r\n');
      slow.push(socket);
    }
    const drip = setInterval(() => {
      for (const socket of slow) if (!socket.destroyed) socket.write('X-a: b\r\n');
    }, 500);
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect((await requestFrom(edge.base, '/v1/elections', { localAddress: '127.0.0.8' })).status).toBe(200);
      await until('slow sockets closed', () => closedAt.length === 200, 6_000);
      expect(Math.max(...closedAt)).toBeLessThan(2_000 + 1_500);
    } finally {
      clearInterval(drip);
      for (const socket of slow) socket.destroy();
    }
  });
});
