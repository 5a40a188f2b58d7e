import { Pool } from 'undici';
import { percentile } from '../measure.ts';
import { openLoop } from './open-loop.ts';

/**
 * Steady open-loop votes through the gateway while one SSE client watches: for the k-th
 * acknowledged vote (distinct users), the time from its 202 to the first snapshot whose total
 * reaches k.
 */
export async function endToEnd(
  gateway: string,
  electionId: string,
  rate: number,
  seconds: number,
  token: (userId: string) => string,
): Promise<{ p50: number; p99: number; samples: number; statuses: Record<string, number> }> {
  const pool = new Pool(gateway, { connections: 128 });
  const sse = await pool.request({ method: 'GET', path: `/v1/elections/${electionId}/results/stream` });
  const snapshots: Array<{ at: number; total: number }> = [];
  let buffer = '';
  sse.body.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer
        .slice(0, end)
        .split('\n')
        .find((l) => l.startsWith('data: '));
      buffer = buffer.slice(end + 2);
      if (data !== undefined) snapshots.push({ at: performance.now(), total: (JSON.parse(data.slice(6)) as { total: number }).total });
    }
  });
  const tokens = Array.from({ length: Math.round(rate * seconds) }, (_, i) => token(`e2e-${i}`));
  const acks: number[] = [];
  const body = JSON.stringify({ optionId: 'a' });
  const result = await openLoop(rate, seconds, async (i) => {
    const response = await pool.request({
      method: 'POST',
      path: `/v1/elections/${electionId}/votes`,
      headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'application/json' },
      body,
    });
    await response.body.dump();
    if (response.statusCode === 202) acks.push(performance.now());
    return response.statusCode;
  });
  const deadline = performance.now() + 10_000;
  while ((snapshots.at(-1)?.total ?? 0) < acks.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  acks.sort((a, b) => a - b);
  const e2e = acks.map((at, k) => (snapshots.find((s) => s.total >= k + 1)?.at ?? Number.NaN) - at).filter(Number.isFinite);
  sse.body.destroy();
  await pool.close();
  return { p50: percentile(e2e, 50), p99: percentile(e2e, 99), samples: e2e.length, statuses: result.statuses };
}
