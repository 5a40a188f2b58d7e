import { Pool } from 'undici';
import { reniceProcess } from '../../launcher/priority.ts';
import { fmt } from '../measure.ts';
import { openLoop, postVote } from './open-loop.ts';
import { cpuByName, cpuOf, descendants, type ServerProcess } from './processes.ts';

/**
 * Peaks absorbed (issue 12): the same open-loop peak through the edge three times, with the
 * vote-store projection (its worker and DynamoDB Local) running as is, paused (SIGSTOP: the
 * intake alone, as if persistence were elsewhere) and running at the lowest CPU priority
 * (nice 19, every thread: what URNA_STORE_NICE=19 sets at start). The first run warms up (JIT,
 * connections) and is not reported. The log takes the peak either way; the question is whether the store
 * takes CPU the intake needs, and how fast it drains the backlog it left once the peak is over.
 */
export type StoreMode = 'running' | 'paused' | 'nice 19';

export interface PeakRow {
  readonly mode: StoreMode;
  readonly offeredPerSecond: number;
  readonly acceptedPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Record<string, number>;
  /** CPU seconds per second of the load, by process name (ingest, DynamoDB Local, …). */
  readonly cpuShare: Record<string, number>;
  /** Votes the store had not applied when the peak ended, and how fast it applied them after. */
  readonly backlogAtEnd: number;
  readonly drainSeconds: number;
  readonly drainPerSecond: number;
}

export interface PeakOptions {
  readonly gateway: string;
  readonly adminToken: string;
  readonly openElection: (id: string) => Promise<void>;
  readonly voterToken: (userId: string) => string;
  readonly rate: number;
  readonly seconds: number;
  readonly say: (m: string) => void;
}

const isStore = (p: ServerProcess) => p.name === 'tally-worker (store)' || p.name === 'DynamoDB Local';

function renice(processes: readonly ServerProcess[], nice: number): void {
  for (const p of processes) reniceProcess(p.pid, nice);
}

function signal(processes: readonly ServerProcess[], sig: 'SIGSTOP' | 'SIGCONT'): void {
  for (const p of processes) process.kill(p.pid, sig);
}

async function storeBacklog(pool: Pool, adminToken: string): Promise<number> {
  const response = await pool.request({ method: 'GET', path: '/v1/admin/log', headers: { authorization: `Bearer ${adminToken}` } });
  const body = (await response.body.json()) as { groups?: Record<string, { undelivered?: number; pending?: number }> };
  const store = body.groups?.['vote-store'];
  return (store?.undelivered ?? 0) + (store?.pending ?? 0);
}

export async function peakAbsorption(options: PeakOptions): Promise<PeakRow[]> {
  const rows: PeakRow[] = [];
  const pool = new Pool(options.gateway, { connections: 256, pipelining: 1 });
  // running again last: a busy shared machine drifts, and the two running rows show how much
  const modes: Array<StoreMode | 'warm-up'> = ['warm-up', 'running', 'paused', 'nice 19', 'running'];
  for (const mode of modes) {
    const electionId = `peak-${mode.replace(' ', '')}-${rows.length}-${Date.now().toString(36)}`;
    await options.openElection(electionId);
    const tokens = Array.from({ length: Math.round(options.rate * options.seconds) }, (_, i) =>
      options.voterToken(`peak-${electionId}-${i}`),
    );
    const body = JSON.stringify({ optionId: 'a' });
    const processes = descendants(process.pid);
    const store = processes.filter(isStore);
    options.say(`peak: ${options.rate} votes/s for ${options.seconds} s through the edge, vote store ${mode}`);
    if (mode === 'paused') signal(store, 'SIGSTOP');
    if (mode === 'nice 19') renice(store, 19);
    const cpu0 = cpuOf(processes);
    const t0 = performance.now();
    let result;
    try {
      result = await openLoop(options.rate, options.seconds, (i) => postVote(pool, electionId, tokens[i], body));
    } finally {
      if (mode === 'paused') signal(store, 'SIGCONT');
    }
    const elapsed = (performance.now() - t0) / 1000;
    const used = cpuByName(processes, cpu0, cpuOf(processes));
    const backlogAtEnd = await storeBacklog(pool, options.adminToken);
    const drainStart = performance.now();
    const deadline = drainStart + 180_000;
    while ((await storeBacklog(pool, options.adminToken)) > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const drainSeconds = (performance.now() - drainStart) / 1000;
    if (mode === 'nice 19') renice(store, 0);
    if (mode === 'warm-up') continue;
    rows.push({
      mode,
      offeredPerSecond: options.rate,
      acceptedPerSecond: result.okPerSecond,
      p50: result.latencyMs.p50,
      p99: result.latencyMs.p99,
      statuses: result.statuses,
      cpuShare: Object.fromEntries([...used].map(([name, seconds]) => [name, seconds / elapsed])),
      backlogAtEnd,
      drainSeconds,
      drainPerSecond: backlogAtEnd === 0 ? 0 : backlogAtEnd / drainSeconds,
    });
  }
  await pool.close();
  return rows;
}

export function formatPeak(rows: readonly PeakRow[]): string {
  const share = (row: PeakRow, name: string) => `${fmt(100 * (row.cpuShare[name] ?? 0), 0)}%`;
  return `peak       open loop through the edge; the vote store (its worker + DynamoDB Local) running, paused, or at nice 19
           store      offered/s  accepted/s   p50 ms   p99 ms  ingest CPU  store CPU (worker + DynamoDB)  store backlog at end  drained in s  store drain votes/s
${rows
  .map(
    (r) =>
      `           ${r.mode.padEnd(9)} ${String(r.offeredPerSecond).padStart(10)} ${fmt(r.acceptedPerSecond, 0).padStart(11)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${share(r, 'ingest').padStart(11)} ${`${share(r, 'tally-worker (store)')} + ${share(r, 'DynamoDB Local')}`.padStart(30)} ${String(r.backlogAtEnd).padStart(21)} ${fmt(r.drainSeconds).padStart(13)} ${fmt(r.drainPerSecond, 0).padStart(20)}`,
  )
  .join('\n')}`;
}
