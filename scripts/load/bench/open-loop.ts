import type { Pool } from 'undici';
import { percentile } from '../measure.ts';

export interface OpenLoopResult {
  readonly offeredPerSecond: number;
  readonly seconds: number;
  readonly sent: number;
  readonly statuses: Record<string, number>;
  readonly okPerSecond: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number };
}

/**
 * Open-model load: request i is due at t0 + i/rate whatever happened to earlier ones, and its
 * latency is measured from when it was due, so a stalled server shows up as latency instead
 * of silently lowering the offered rate (no coordinated omission). `send` resolves with an
 * HTTP status (0 for a network error). Ticks every millisecond and sends what has fallen due.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  send: (i: number) => Promise<number>,
  okStatus = 202,
): Promise<OpenLoopResult> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = new Array(total);
  const statuses: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && t0 + (next * 1000) / rate <= now) {
      const i = next++;
      const due = t0 + (i * 1000) / rate;
      const p: Promise<void> = send(i)
        .then(
          (status) => {
            latencies[i] = performance.now() - due;
            statuses[status] = (statuses[status] ?? 0) + 1;
          },
          () => {
            latencies[i] = performance.now() - due;
            statuses['0'] = (statuses['0'] ?? 0) + 1;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - t0) / 1000;
  const done = latencies.filter((l) => l !== undefined);
  return {
    offeredPerSecond: rate,
    seconds: elapsed,
    sent: total,
    statuses,
    okPerSecond: (statuses[String(okStatus)] ?? 0) / elapsed,
    latencyMs: { p50: percentile(done, 50), p95: percentile(done, 95), p99: percentile(done, 99), max: Math.max(...done) },
  };
}

/** One vote POSTed through `pool` with a voter's token; resolves with the status once the answer is read. */
export async function postVote(pool: Pool, electionId: string, token: string | undefined, body: string): Promise<number> {
  const response = await pool.request({
    method: 'POST',
    path: `/v1/elections/${electionId}/votes`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  await response.body.dump();
  return response.statusCode;
}
