import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * URNA_STORE_NICE: the CPU priority (nice, 0–19) of the vote-store projection, its worker
 * processes and the embedded DynamoDB Local, so that during a peak the store lags instead of
 * taking CPU the intake needs (docs/benchmarks.md, "peaks absorbed"). 0 (the default) changes nothing.
 */
export function storeNiceOf(env: NodeJS.ProcessEnv): number {
  const raw = env.URNA_STORE_NICE ?? '0';
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 19) throw new Error(`invalid configuration:\n  URNA_STORE_NICE: an integer from 0 to 19, got "${raw}"`);
  return value;
}

/** Sets the nice value of every thread of a process (Linux's setpriority on a pid reaches only its main thread). */
export function reniceProcess(pid: number, nice: number): void {
  let threads: number[];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    threads = [pid];
  }
  for (const tid of threads) {
    try {
      setPriority(tid, nice);
    } catch {
      // a thread that ended meanwhile
    }
  }
}
