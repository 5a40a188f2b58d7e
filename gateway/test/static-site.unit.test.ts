import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/gateway.ts';

describe('gateway without built web pages', () => {
  const root = mkdtempSync(join(tmpdir(), 'urna-web-'));
  let gateway: Server;
  let base: string;
  beforeAll(async () => {
    gateway = createGateway({ upstreams: { ingest: 'http://127.0.0.1:1', results: 'http://127.0.0.1:1', lifecycle: 'http://127.0.0.1:1' }, webRoot: root }).listen(0, '127.0.0.1');
    await new Promise((r) => gateway.once('listening', r));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    gateway.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 WEB_NOT_BUILT (not NOT_FOUND) and says how to build them', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('WEB_NOT_BUILT');
    expect(body.error.message).toContain('npm run build -w web');
  });
});
