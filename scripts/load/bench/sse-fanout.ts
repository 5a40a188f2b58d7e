import { connect, type Socket } from 'node:net';
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

const ID = Buffer.from('id: ');
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * `clients` SSE connections to one results-sse process, then one counted vote every 250 ms
 * (the coalescing window, so every change is one frame). Latency: from the vote's apply (and
 * its PUBLISH) to each client's receipt of the frame carrying that version.
 */
export async function sseFanout(
  resultsUrl: string,
  serverPid: number,
  redis: Redis,
  clients: number,
  seconds: number,
): Promise<FanoutResult> {
  const tally = new LiveTally({ redis });
  await tally.loadScripts();
  const electionId = `fanout-${randomUUID().slice(0, 8)}`;
  await tally.initElection(electionId, ['a', 'b']);
  const base = (await tally.results(electionId))?.version ?? 0;
  const appliedAt = new Map<number, number>();
  const latencies: number[] = [];
  const url = new URL(`/v1/elections/${electionId}/results/stream`, resultsUrl);
  const sockets: Socket[] = [];
  let connected = 0;
  // Raw TCP clients: a GET written by hand, the bytes scanned for "id: <n>" with no HTTP
  // parser, so the 2-core machine's load generator costs less than the server it measures.
  // Each SSE frame is one chunk, so the chunked framing never splits "id: <n>".
  const requestText = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`;
  await Promise.all(
    Array.from(
      { length: clients },
      (_, i) =>
        new Promise<void>((resolve) => {
          setTimeout(
            () => {
              const socket = connect(Number(url.port), url.hostname, () => {
                socket.write(requestText);
                connected++;
                resolve();
              });
              socket.on('data', (chunk: Buffer) => {
                const now = performance.now();
                for (let at = chunk.indexOf(ID); at >= 0; at = chunk.indexOf(ID, at + 4)) {
                  let version = 0;
                  let digits = 0;
                  for (let k = at + 4; k < chunk.length; k++) {
                    const c = chunk[k] as number;
                    if (c < 48 || c > 57) break;
                    version = version * 10 + (c - 48);
                    digits++;
                  }
                  const sent = digits === 0 ? undefined : appliedAt.get(version);
                  if (sent !== undefined) latencies.push(now - sent);
                }
              });
              socket.on('error', () => resolve());
              sockets.push(socket);
            },
            Math.floor(i / 500) * 20,
          ); // connect in waves of 500
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const cpu0 = cpuSeconds(serverPid);
  const t0 = performance.now();
  let updates = 0;
  while (performance.now() - t0 < seconds * 1000) {
    updates++;
    appliedAt.set(base + updates, performance.now());
    await tally.apply([
      {
        vote: { voteId: randomUUID(), electionId, userId: `fan-${updates}`, optionId: 'a', acceptedAt: Date.now() },
        partition: 0,
        position: String(updates).padStart(20, '0'),
      },
    ]);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 1_000));
  const cpu = (cpuSeconds(serverPid) - cpu0) / ((performance.now() - t0) / 1000);
  const rss = rssMb(serverPid);
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => setTimeout(r, 500));
  return {
    clients,
    connected,
    updates,
    deliveries: latencies.length,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    serverCpuPerSecond: cpu,
    serverRssMb: rss,
  };
}
