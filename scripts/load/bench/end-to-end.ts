import { Pool } from 'undici';
import { percentile } from '../measure.ts';
import { openLoop, postVote } from './open-loop.ts';
import { ackToSnapshotMs, watchTotals } from './sse-watch.ts';

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
  const watcher = watchTotals(pool, electionId);
  await watcher.ready;
  const snapshots = watcher.snapshots;
  const tokens = Array.from({ length: Math.round(rate * seconds) }, (_, i) => token(`e2e-${i}`));
  const acks: number[] = [];
  const body = JSON.stringify({ optionId: 'a' });
  const result = await openLoop(rate, seconds, async (i) => {
    const status = await postVote(pool, electionId, tokens[i], body);
    if (status === 202) acks.push(performance.now());
    return status;
  });
  const deadline = performance.now() + 10_000;
  while ((snapshots.at(-1)?.total ?? 0) < acks.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const e2e = ackToSnapshotMs(acks, snapshots);
  watcher.close();
  await pool.close();
  return { p50: percentile(e2e, 50), p99: percentile(e2e, 99), samples: e2e.length, statuses: result.statuses };
}
