import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { freePort } from '@urna/embedded';
import { createGateway } from '../src/gateway.ts';
import { routeOf } from '../src/routes.ts';

describe('routeOf', () => {
  it('sends result reads and receipts to results-sse, votes and sign-in to ingest, elections admin to the lifecycle service', () => {
    expect(routeOf('GET', '/v1/elections/e1/results')).toBe('results');
    expect(routeOf('GET', '/v1/elections/e1/results/stream')).toBe('results');
    expect(routeOf('GET', '/v1/elections/e1/votes/me')).toBe('results');
    expect(routeOf('GET', '/v1/elections/e1/reconciliation')).toBe('results');
    expect(routeOf('GET', '/v1/admin/elections/e1/results')).toBe('results');
    expect(routeOf('POST', '/v1/elections/e1/votes')).toBe('ingest');
    expect(routeOf('POST', '/v1/auth/voting-token')).toBe('ingest');
    expect(routeOf('GET', '/v1/admin/log')).toBe('ingest');
    expect(routeOf('GET', '/v1/elections/e1')).toBe('lifecycle');
    expect(routeOf('GET', '/v1/elections')).toBe('lifecycle');
    expect(routeOf('POST', '/v1/elections/e1/close')).toBe('lifecycle');
    expect(routeOf('POST', '/v1/elections/e1/results')).toBe('lifecycle');
    expect(routeOf('GET', '/v1/admin/elections/e1/voters/u1/votes')).toBe('lifecycle');
    expect(routeOf('POST', '/v1/admin/session')).toBe('lifecycle');
    expect(routeOf('GET', '/admin/queues/api/queues')).toBe('lifecycle');
    expect(routeOf('GET', '/other')).toBeUndefined();
  });
});

describe('gateway', () => {
  let upstream: Server;
  let gateway: Server;
  let base: string;
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, body, auth: req.headers.authorization })));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => upstream.once('listening', r));
    const deadPort = await freePort();
    gateway = createGateway({ upstreams: { ingest: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, results: `http://127.0.0.1:${deadPort}`, lifecycle: `http://127.0.0.1:${deadPort}` }, registry: new Registry() });
    gateway.listen(0, '127.0.0.1');
    await new Promise((r) => gateway.once('listening', r));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    upstream.close();
    gateway.close();
    gateway.closeAllConnections();
  });

  it('proxies method, path, headers and body', async () => {
    const response = await fetch(`${base}/v1/elections/x/votes?q=1`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"optionId":"a"}' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ path: '/v1/elections/x/votes?q=1', body: '{"optionId":"a"}', auth: 'Bearer t' });
  });

  it('answers 503 with Retry-After when a service is down, 404 off the API', async () => {
    const down = await fetch(`${base}/v1/elections/x/results`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(await down.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/urna_gateway_responses_total\{upstream="results",status="503"\} 1/);
  });
});

describe('gateway: the web pages', () => {
  it('serves the built pages at / and /admin with a same-origin CSP, hashed assets cached forever, nothing else', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = mkdtempSync(join(tmpdir(), 'urna-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>voter</title>');
    writeFileSync(join(root, 'admin.html'), '<!doctype html><title>admin</title>');
    writeFileSync(join(root, 'assets', 'voter-abc123.js'), 'console.log(1)');
    const server = createGateway({ upstreams: { ingest: 'http://127.0.0.1:9', results: 'http://127.0.0.1:9', lifecycle: 'http://127.0.0.1:9' }, webRoot: root }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('voter');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(await (await fetch(`${base}/admin`)).text()).toContain('admin');
      const asset = await fetch(`${base}/assets/voter-abc123.js`);
      expect(asset.headers.get('content-type')).toContain('text/javascript');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      for (const path of ['/assets/..%2F..%2Fpackage.json', '/assets/nope.js', '/package.json']) {
        const response = await fetch(`${base}${path}`);
        expect(response.status, path).toBe(404);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      }
      expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
