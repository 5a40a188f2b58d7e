/** The launcher's process counts (issue 15): settings read with named errors, and the static partition shares of K workers. */
import { describe, expect, it } from 'vitest';
import { processName, readProcessCounts, workerPartitionPlan, workerPartitionSets } from '../scripts/launcher/processes.ts';

const expand = (set: string): number[] => {
  const [a, b] = set.split('-').map(Number) as [number, number | undefined];
  return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
};

describe('process counts', () => {
  it('defaults to one of each; URNA_WORKER_PROCESSES sets every projection unless one is named', () => {
    expect(readProcessCounts({})).toEqual({ ingest: 1, results: 1, live: 1, store: 1, transparency: 1, recount: 1 });
    expect(
      readProcessCounts({
        URNA_INGEST_PROCESSES: '3',
        URNA_RESULTS_PROCESSES: '2',
        URNA_WORKER_PROCESSES: '4',
        URNA_TALLY_STORE_PROCESSES: '2',
        URNA_RECOUNT_PROCESSES: '2',
      }),
    ).toEqual({ ingest: 3, results: 2, live: 4, store: 2, transparency: 4, recount: 2 });
  });

  it('names every bad key', () => {
    expect(() => readProcessCounts({ URNA_INGEST_PROCESSES: '0', URNA_TALLY_LIVE_PROCESSES: 'two' })).toThrow(
      /URNA_INGEST_PROCESSES: a whole number from 1 to 64, got "0"\n {2}URNA_TALLY_LIVE_PROCESSES: .*got "two"/,
    );
  });

  it('gives K workers disjoint partition sets that cover every partition', () => {
    expect(workerPartitionSets(16, 1)).toEqual([undefined]);
    expect(workerPartitionSets(8, 2)).toEqual(['0-3', '4-7']);
    for (const [partitions, members] of [
      [16, 3],
      [7, 7],
      [256, 10],
    ] as const) {
      const owned = workerPartitionSets(partitions, members).flatMap((set) => expand(set as string));
      expect(owned).toEqual(Array.from({ length: partitions }, (_, p) => p));
    }
    expect(() => workerPartitionSets(4, 5)).toThrow(/at least as many log partitions/);
  });

  it('leaves partitions to leases (Redis) or the group (Kafka), and splits them statically only with leases off', () => {
    const two = { live: 2, store: 2, transparency: 1 };
    const none = { live: [undefined, undefined], store: [undefined, undefined], transparency: [undefined] };
    expect(workerPartitionPlan({ URNA_LOG_PARTITIONS: '8' }, two)).toEqual(none);
    expect(workerPartitionPlan({ URNA_LOG: 'kafka', URNA_WORKER_LEASE_MS: '0' }, two)).toEqual(none);
    expect(workerPartitionPlan({ URNA_LOG_PARTITIONS: '8', URNA_WORKER_LEASE_MS: '0' }, two)).toEqual({
      live: ['0-3', '4-7'],
      store: ['0-3', '4-7'],
      transparency: [undefined],
    });
    expect(() => workerPartitionPlan({ URNA_WORKER_PARTITIONS: '0-7' }, two)).toThrow(
      /URNA_WORKER_PARTITIONS: one list for several workers/,
    );
    expect(workerPartitionPlan({ URNA_WORKER_PARTITIONS: '0-7' }, { live: 1, store: 1, transparency: 1 }).live).toEqual([undefined]);
  });

  it('keeps the first process under the service name', () => {
    expect([0, 1, 2].map((i) => processName('ingest', i))).toEqual(['ingest', 'ingest-2', 'ingest-3']);
  });
});
