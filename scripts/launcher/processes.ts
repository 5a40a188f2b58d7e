/**
 * How many processes of each service the launcher runs (issue 15). One of each by default;
 * extra processes listen on free ports behind the edge's upstream pools (ingest, results-sse,
 * the lifecycle service recount) or join their projection's consumer group (workers).
 */
export interface ProcessCounts {
  readonly ingest: number;
  readonly results: number;
  readonly live: number;
  readonly store: number;
  readonly transparency: number;
  /**
   * The lifecycle service (elections API, schedules, recount, audit). Its processes share only
   * Redis and DynamoDB: BullMQ hands each job to one of them, and jobs carry deterministic ids,
   * so every process resuming the schedules at start adds nothing twice.
   */
  readonly recount: number;
}

/** The setting for each count; `URNA_WORKER_PROCESSES` is the default of the three projections. */
export const PROCESS_SETTINGS: Readonly<Record<keyof ProcessCounts, string>> = {
  ingest: 'URNA_INGEST_PROCESSES',
  results: 'URNA_RESULTS_PROCESSES',
  live: 'URNA_TALLY_LIVE_PROCESSES',
  store: 'URNA_TALLY_STORE_PROCESSES',
  transparency: 'URNA_TALLY_TRANSPARENCY_PROCESSES',
  recount: 'URNA_RECOUNT_PROCESSES',
};
export const WORKER_PROCESSES_SETTING = 'URNA_WORKER_PROCESSES';
const MAX_PROCESSES = 64;

/** Reads the counts from the environment; a bad value names its key (like the services' zod configs). */
export function readProcessCounts(env: Readonly<Record<string, string | undefined>>): ProcessCounts {
  const problems: string[] = [];
  const read = (key: string, fallback: number): number => {
    const text = env[key];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > MAX_PROCESSES) {
      problems.push(`${key}: a whole number from 1 to ${MAX_PROCESSES}, got "${text}"`);
      return fallback;
    }
    return value;
  };
  const workers = read(WORKER_PROCESSES_SETTING, 1);
  const counts: ProcessCounts = {
    ingest: read(PROCESS_SETTINGS.ingest, 1),
    results: read(PROCESS_SETTINGS.results, 1),
    live: read(PROCESS_SETTINGS.live, workers),
    store: read(PROCESS_SETTINGS.store, workers),
    transparency: read(PROCESS_SETTINGS.transparency, workers),
    recount: read(PROCESS_SETTINGS.recount, 1),
  };
  if (problems.length > 0) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return counts;
}

/**
 * The `URNA_WORKER_PARTITIONS` of each of `members` workers of one projection on the Redis log:
 * disjoint contiguous ranges covering 0..partitions-1. Two members of one group must never read
 * the same partition at once (a close marker could be passed while the other still holds earlier
 * votes): with leases off each worker owns a static share. Undefined for one member (it reads
 * every partition).
 */
export function workerPartitionSets(partitions: number, members: number): ReadonlyArray<string | undefined> {
  if (members === 1) return [undefined];
  if (members > partitions)
    throw new Error(
      `invalid configuration:\n  ${members} workers of one projection need at least as many log partitions (URNA_LOG_PARTITIONS=${partitions})`,
    );
  return Array.from({ length: members }, (_, i) => {
    const first = Math.floor((i * partitions) / members);
    const last = Math.floor(((i + 1) * partitions) / members) - 1;
    return first === last ? String(first) : `${first}-${last}`;
  });
}

/** The i-th process of a service: the first keeps the service's own name (logs, tests), the others get `-2`, `-3`, … */
export const processName = (service: string, index: number): string => (index === 0 ? service : `${service}-${index + 1}`);

/**
 * Each projection's workers' `URNA_WORKER_PARTITIONS` (undefined: none set). On Kafka the
 * consumer group assigns partitions, and on the Redis log the workers lease them
 * (`URNA_WORKER_LEASE_MS`, on by default): nothing is set. With leases off
 * (`URNA_WORKER_LEASE_MS=0`) K > 1 workers get disjoint static shares. A deployment's own
 * `URNA_WORKER_PARTITIONS` would give every worker the same list: refused with K > 1.
 */
export function workerPartitionPlan(
  env: Readonly<Record<string, string | undefined>>,
  counts: Pick<ProcessCounts, 'live' | 'store' | 'transparency'>,
): Record<'live' | 'store' | 'transparency', ReadonlyArray<string | undefined>> {
  const plan = (members: number): ReadonlyArray<string | undefined> => {
    if (members === 1) return [undefined];
    if (env.URNA_WORKER_PARTITIONS !== undefined)
      throw new Error('invalid configuration:\n  URNA_WORKER_PARTITIONS: one list for several workers of a projection; leave it unset');
    if (env.URNA_LOG === 'kafka' || Number(env.URNA_WORKER_LEASE_MS ?? '1') !== 0) return Array.from({ length: members }, () => undefined);
    return workerPartitionSets(Number(env.URNA_LOG_PARTITIONS ?? '16'), members);
  };
  return { live: plan(counts.live), store: plan(counts.store), transparency: plan(counts.transparency) };
}
