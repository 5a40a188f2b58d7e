import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { percentile } from '../measure.ts';
import { openLoop, postVote } from './open-loop.ts';
import { ackToSnapshotMs, watchTotals } from './sse-watch.ts';
import { cpuByName, cpuOf, type ServerProcess } from './processes.ts';

/**
 * The same vote loads against any server of urna's v1 API: urna's edge, or a peer such as
 * ../shared/peers/pg-monolith. Everything a run needs (an open election, one fresh voter token
 * per request) is made through the public API before the clock starts, so the timed part is
 * votes only, on both sides.
 */
export interface Target {
  readonly name: string;
  readonly url: string;
  /** The server's processes now (their CPU is charged to it). */
  processes(): ServerProcess[];
}

export type Load =
  | { readonly kind: 'closed'; readonly connections: number; readonly seconds: number }
  | { readonly kind: 'open'; readonly rate: number; readonly seconds: number };

export interface RunResult {
  readonly target: string;
  readonly load: string;
  readonly accepted: number;
  readonly acceptedPerSecond: number;
  readonly statuses: Record<string, number>;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  readonly serverCpuSeconds: number;
  /** Server CPU per accepted vote, µs: during the load only, and in total and by process name including the work deferred past it (projections draining) until the server went quiet. */
  readonly cpuPerVoteUsDuringLoad: number;
  readonly cpuPerVoteUs: number;
  readonly cpuPerVoteUsByProcess: Record<string, number>;
  /** 202 → first SSE snapshot whose total includes it. */
  readonly e2eMs: { readonly p50: number; readonly p99: number };
  /** The results total reached the number of 202s (nothing lost), and how long after the load that took. */
  readonly reachedEvery202: boolean;
  readonly catchUpSeconds: number;
}

export const describeLoad = (load: Load) =>
  load.kind === 'closed'
    ? `closed loop, ${load.connections} connections × ${load.seconds} s`
    : `open loop, ${load.rate} votes/s × ${load.seconds} s`;

const json = { 'content-type': 'application/json' };

async function call<T>(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = body === undefined ? {} : { ...json };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await pool.request({ method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.body.text();
  return { status: response.statusCode, body: (text.length > 0 ? JSON.parse(text) : {}) as T };
}

/** A token from the target's dev issuer, exchanged for a voting token where the target offers one (urna). */
async function tokenFor(pool: Pool, userId: string, role: 'voter' | 'admin'): Promise<string> {
  const dev = await call<{ token: string }>(pool, 'POST', '/v1/dev/token', { userId, role });
  if (dev.status !== 200) throw new Error(`POST /v1/dev/token answered ${dev.status}`);
  if (role === 'admin') return dev.body.token;
  const exchanged = await call<{ token: string }>(pool, 'POST', '/v1/auth/voting-token', undefined, dev.body.token);
  return exchanged.status === 200 ? exchanged.body.token : dev.body.token;
}

async function mapLimit<T>(count: number, concurrency: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await make(i);
      }
    }),
  );
  return out;
}

/** An open election with two options and `voters` fresh voter tokens, all through the API. */
export async function prepare(target: Target, voters: number): Promise<{ electionId: string; tokens: string[] }> {
  const pool = new Pool(target.url, { connections: 32 });
  try {
    const run = randomBytes(4).toString('hex');
    const admin = await tokenFor(pool, `h2h-admin-${run}`, 'admin');
    const electionId = `h2h-${run}`;
    const created = await call(
      pool,
      'POST',
      '/v1/elections',
      {
        id: electionId,
        title: 'head to head',
        options: [
          { id: 'a', label: 'A' },
          { id: 'b', label: 'B' },
        ],
      },
      admin,
    );
    if (created.status !== 201) throw new Error(`${target.name}: creating the election answered ${created.status}`);
    const opened = await call(pool, 'POST', `/v1/elections/${electionId}/open`, {}, admin);
    if (opened.status !== 200) throw new Error(`${target.name}: opening the election answered ${opened.status}`);
    const tokens = await mapLimit(voters, 32, (i) => tokenFor(pool, `h2h-${run}-${i}`, 'voter'));
    return { electionId, tokens };
  } finally {
    await pool.close();
  }
}

/** Fixed concurrency: each connection sends the next vote as soon as its previous one answered. */
async function closedLoop(
  connections: number,
  seconds: number,
  voters: number,
  send: (i: number) => Promise<number>,
): Promise<{ statuses: Record<string, number>; latencies: number[]; elapsed: number }> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end && next < voters) {
        const i = next++;
        const start = performance.now();
        const status = await send(i).catch(() => 0);
        latencies.push(performance.now() - start);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  if (next >= voters) console.log(`bench: warning: the ${voters} prepared voters ran out before ${seconds} s (raise --h2h-voters)`);
  return { statuses, latencies, elapsed: (performance.now() - t0) / 1000 };
}

/**
 * Waits until the server's processes together use under 10% of a core over half a second (at
 * most 60 s), so work a server defers past the load (a projection draining its backlog) is
 * charged to the votes that caused it. Returns the CPU readings at that point.
 */
async function whenQuiet(processes: readonly ServerProcess[]): Promise<Map<number, number>> {
  const deadline = performance.now() + 60_000;
  let before = cpuOf(processes);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuOf(processes);
    const used = [...now].reduce((total, [pid, seconds]) => total + seconds - (before.get(pid) ?? 0), 0);
    if (used < 0.05 || performance.now() > deadline) return now;
    before = now;
  }
}

/** Runs one load against one target and measures what it cost the target's processes. */
export async function runLoad(target: Target, load: Load, voters: number): Promise<RunResult> {
  const { electionId, tokens } = await prepare(target, voters);
  const connections = load.kind === 'closed' ? load.connections : 256;
  const pool = new Pool(target.url, { connections: connections + 1 });
  const watcher = watchTotals(pool, electionId);
  await watcher.ready;
  const acks: number[] = [];
  const body = JSON.stringify({ optionId: 'a' });
  const send = async (i: number) => {
    const status = await postVote(pool, electionId, tokens[i], body);
    if (status === 202) acks.push(performance.now());
    return status;
  };
  const processes = target.processes();
  const cpu0 = cpuOf(processes);
  let statuses: Record<string, number>;
  let latencyMs: { p50: number; p99: number };
  let elapsed: number;
  if (load.kind === 'closed') {
    const run = await closedLoop(load.connections, load.seconds, voters, send);
    ({ statuses, elapsed } = run);
    latencyMs = { p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99) };
  } else {
    const run = await openLoop(load.rate, load.seconds, send);
    ({ statuses } = run);
    elapsed = run.seconds;
    latencyMs = { p50: run.latencyMs.p50, p99: run.latencyMs.p99 };
  }
  const cpu1 = cpuOf(processes);
  // nothing lost: the public total must reach every 202 (the projections catch up after the load)
  const loadEnd = performance.now();
  const deadline = loadEnd + 60_000;
  while ((watcher.snapshots.at(-1)?.total ?? 0) < acks.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const reached = (watcher.snapshots.at(-1)?.total ?? 0) >= acks.length;
  const catchUpSeconds = reached
    ? Math.max(0, ((watcher.snapshots.find((s) => s.total >= acks.length)?.at ?? loadEnd) - loadEnd) / 1000)
    : Number.NaN;
  watcher.close();
  await pool.close();
  const cpu2 = await whenQuiet(processes);
  const e2e = ackToSnapshotMs(acks, watcher.snapshots);
  const accepted = statuses['202'] ?? 0;
  const sum = (byName: Map<string, number>) => [...byName.values()].reduce((a, b) => a + b, 0);
  const byName = cpuByName(processes, cpu0, cpu2);
  const serverCpuSeconds = sum(byName);
  const perVote = (seconds: number) => (accepted === 0 ? Number.NaN : (seconds * 1e6) / accepted);
  return {
    target: target.name,
    load: describeLoad(load),
    accepted,
    acceptedPerSecond: accepted / elapsed,
    statuses,
    latencyMs,
    serverCpuSeconds,
    cpuPerVoteUsDuringLoad: perVote(sum(cpuByName(processes, cpu0, cpu1))),
    cpuPerVoteUs: perVote(serverCpuSeconds),
    cpuPerVoteUsByProcess: Object.fromEntries([...byName].sort((a, b) => b[1] - a[1]).map(([name, seconds]) => [name, perVote(seconds)])),
    e2eMs: { p50: percentile(e2e, 50), p99: percentile(e2e, 99) },
    reachedEvery202: reached,
    catchUpSeconds,
  };
}
