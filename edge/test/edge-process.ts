import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@urna/embedded';
import { prepareEdge, readEdgeConfig } from '../src/edge.ts';

export interface RunningEdge {
  readonly base: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Real nginx rendered from the repo's template, in front of the given upstreams. */
export async function startEdge(
  upstreams: { ingest: string; results: string },
  env: Record<string, string> = {},
  webRoot = tmpdir(),
): Promise<RunningEdge> {
  const prefix = mkdtempSync(join(tmpdir(), 'urna-edge-'));
  const port = await freePort();
  const [binary, ...args] = prepareEdge({
    prefix,
    listen: `127.0.0.1:${port}`,
    ingest: [upstreams.ingest],
    results: [upstreams.results],
    webRoot,
    config: readEdgeConfig({ URNA_EDGE_WORKERS: '1', ...env }),
  });
  const child = spawn(binary as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx not up: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    base,
    port,
    stop: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request from a chosen local address (another loopback address is another client). */
export function requestFrom(
  base: string,
  path: string,
  options: { localAddress?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
