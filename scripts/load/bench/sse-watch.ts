import type { Pool } from 'undici';

export interface TotalsWatch {
  /** Each snapshot's results total and when it arrived (performance.now()). */
  readonly snapshots: Array<{ at: number; total: number }>;
  readonly ready: Promise<void>;
  close(): void;
}

/** One SSE client on the election, recording when each total was first seen. */
export function watchTotals(pool: Pool, electionId: string): TotalsWatch {
  const snapshots: Array<{ at: number; total: number }> = [];
  let closeBody = () => {};
  const ready = pool.request({ method: 'GET', path: `/v1/elections/${electionId}/results/stream` }).then((sse) => {
    let buffer = '';
    closeBody = () => sse.body.destroy();
    sse.body.on('error', () => {});
    sse.body.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buffer = buffer.slice(end + 2);
        if (data === undefined) continue;
        const total = (JSON.parse(data.slice(6)) as { total?: number }).total;
        if (typeof total === 'number') snapshots.push({ at: performance.now(), total });
      }
    });
  });
  return { snapshots, close: () => closeBody(), ready };
}

/** For the k-th 202 (acks sorted by time), the time until the first snapshot whose total reaches k. */
export function ackToSnapshotMs(acks: readonly number[], snapshots: ReadonlyArray<{ at: number; total: number }>): number[] {
  const sorted = [...acks].sort((a, b) => a - b);
  return sorted.map((at, k) => (snapshots.find((s) => s.total >= k + 1)?.at ?? Number.NaN) - at).filter(Number.isFinite);
}
