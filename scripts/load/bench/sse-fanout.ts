import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { LiveTally } from '@urna/tally';
import { cpuSeconds, percentile } from '../measure.ts';

export interface FanoutResult {
  readonly clients: number;
  readonly connected: number;
  readonly updates: number;
  readonly deliveries: number;
  readonly latencyMs: { p50: number; p99: number };
  readonly serverCpuPerSecond: number;
  readonly serverRssMb: number;
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * `clients` SSE connections to one results-sse process, then one counted vote every 250 ms
 * (the coalescing window, so every change is one frame). Latency: from the vote's apply (and
 * its PUBLISH) to each client's receipt of the frame carrying that version.
 */
export async function sseFanout(resultsUrl: string, serverPid: number, redis: Redis, clients: number, seconds: number): Promise<FanoutResult> {
  const tally = new LiveTally({ redis });
  await tally.loadScripts();
  const electionId = `fanout-${randomUUID().slice(0, 8)}`;
  await tally.initElection(electionId, ['a', 'b']);
  const base = (await tally.results(electionId))?.version ?? 0;
  const appliedAt = new Map<number, number>();
  const latencies: number[] = [];
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const url = new URL(`/v1/elections/${electionId}/results/stream`, resultsUrl);
  const sockets: Array<{ destroy(): void }> = [];
  let connected = 0;
  await Promise.all(Array.from({ length: clients }, (_, i) => new Promise<void>((resolve) => {
    setTimeout(() => {
      const req = request(url, { agent }, (res) => {
        connected++;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (\d+)$/m.exec(frame)?.[1];
            const at = id === undefined ? undefined : appliedAt.get(Number(id));
            if (at !== undefined) latencies.push(now - at);
          }
        });
        resolve();
      });
      req.on('error', () => resolve());
      req.end();
      sockets.push(req);
    }, Math.floor(i / 500) * 20); // connect in waves of 500
  })));
  await new Promise((r) => setTimeout(r, 1_000));
  const cpu0 = cpuSeconds(serverPid);
  const t0 = performance.now();
  let updates = 0;
  while (performance.now() - t0 < seconds * 1000) {
    updates++;
    appliedAt.set(base + updates, performance.now());
    await tally.apply([{ vote: { voteId: randomUUID(), electionId, userId: `fan-${updates}`, optionId: 'a', acceptedAt: Date.now() }, partition: 0, position: String(updates).padStart(20, '0') }]);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 1_000));
  const cpu = (cpuSeconds(serverPid) - cpu0) / ((performance.now() - t0) / 1000);
  const rss = rssMb(serverPid);
  for (const socket of sockets) socket.destroy();
  agent.destroy();
  await new Promise((r) => setTimeout(r, 500));
  return { clients, connected, updates, deliveries: latencies.length, latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) }, serverCpuPerSecond: cpu, serverRssMb: rss };
}
