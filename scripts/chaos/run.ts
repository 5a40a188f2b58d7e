import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, type CheckResult } from './checker.ts';
import { startChaosCluster, signalTree, type LogKind } from './cluster.ts';
import { readFinalState } from './final-state.ts';
import { HistoryRecorder, type HistoryEvent } from './history.ts';
import { planElections, runVoteLoad, watchResults, type PlannedElection } from './load.ts';
import { planFaults, runNemesis, type PlannedFault } from './nemesis.ts';
import { Prng } from './prng.ts';

export interface ChaosOptions {
  readonly seed: number;
  /** Length of the load and fault window. */
  readonly windowMs: number;
  readonly log: LogKind;
  /** Votes per second offered (open loop). */
  readonly rate: number;
  readonly dataDir: string;
  /** Mean time between faults. */
  readonly faultGapMs?: number;
  readonly partitions?: number;
  /** Only these targets (default: every process). */
  readonly targets?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly say?: (line: string) => void;
  /** Ctrl-C / SIGTERM stop every process of the run before exiting (the CLI; not inside tests). */
  readonly handleSignals?: boolean;
}

export interface ChaosReport {
  readonly seed: number;
  readonly log: LogKind;
  readonly windowMs: number;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly unknown: number;
  readonly skippedInFlight: number;
  readonly counted: number;
  readonly elections: number;
  readonly faults: Record<string, number>;
  readonly plannedFaults: readonly PlannedFault[];
  readonly longestAckGap: { ms: number; from: number; fault: string };
  readonly sseEvents: number;
  readonly result: CheckResult;
  readonly historyPath: string;
  readonly dataDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`chaos: gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(1_000);
  }
}

/**
 * One seeded chaos run: the whole stack, scheduled elections, open-loop votes with duplicates
 * and retries, SSE watchers and the nemesis; then heal, drain, read the final state and check.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.say ?? (() => undefined);
  mkdirSync(options.dataDir, { recursive: true });
  const rng = new Prng(options.seed);
  const historyPath = join(options.dataDir, 'history.ndjson');
  say(
    `chaos: seed ${options.seed}, log ${options.log}, ${options.windowMs / 60_000} min, ${options.rate} votes/s; data ${options.dataDir}`,
  );
  const cluster = await startChaosCluster({
    dataDir: options.dataDir,
    log: options.log,
    partitions: options.partitions ?? 8,
    env: options.env ?? {},
  });
  const history = new HistoryRecorder(historyPath);
  const interrupt = () => {
    say('chaos: interrupted; stopping every process of the run');
    void cluster.stop().finally(() => process.exit(130));
  };
  if (options.handleSignals === true) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, interrupt);
  try {
    const gateway = cluster.stack.urls.gateway;
    const secret = Buffer.from(cluster.env.URNA_VOTING_TOKEN_SECRET as string, 'base64url');
    const admin = (await (
      await fetch(`${gateway}/v1/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'chaos-admin', role: 'admin' }),
      })
    ).json()) as { token: string };
    const loadStart = Date.now() + 5_000;
    const elections = planElections(rng.fork('elections'), `s${options.seed}`, options.windowMs);
    for (const e of elections) {
      const body = {
        id: e.id,
        title: `chaos ${e.id}`,
        options: e.options.map((id) => ({ id, label: id })),
        challenge: 'off',
        opensAt: new Date(loadStart + e.opensAt).toISOString(),
        closesAt: new Date(loadStart + e.closesAt).toISOString(),
      };
      history.record({ type: 'invoke', f: 'admin', process: 'admin', electionId: e.id, event: 'create' });
      const response = await fetch(`${gateway}/v1/elections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 201) throw new Error(`chaos: creating ${e.id} answered ${response.status} ${await response.text()}`);
      history.record({ type: 'ok', f: 'admin', process: 'admin', electionId: e.id, event: 'create', status: 201 });
    }
    say(`chaos: stack up at ${gateway}; ${elections.length} elections scheduled; targets ${cluster.targets.map((t) => t.name).join(' ')}`);
    await sleep(loadStart - Date.now());

    const targets = cluster.targets.filter((t) => options.targets === undefined || options.targets.includes(t.name));
    const plan = planFaults(
      rng.fork('nemesis'),
      targets.map((t) => t.name),
      options.windowMs - 5_000,
      options.faultGapMs ?? 20_000,
    );
    const waitHealthy = async (name: string) => cluster.stack.services.get(name)?.waitHealthy(120_000);
    const nemesis = runNemesis(plan, targets, history, waitHealthy);
    const watchRng = rng.fork('sse');
    const watchers = elections.flatMap((e, i) =>
      [0, 1].map((w) =>
        watchResults({
          gateway,
          electionId: e.id,
          process: `sse-${i}-${w}`,
          until: loadStart + e.closesAt + 30_000,
          history,
          rng: watchRng.fork(`${i}-${w}`),
        }),
      ),
    );
    const progress = setInterval(() => {
      const faults = [...nemesis.injected.values()].reduce((a, b) => a + b, 0);
      say(`chaos: ${Math.round((Date.now() - loadStart) / 1000)} s, ${history.events.length} events, ${faults} faults`);
    }, 60_000);
    const load = await runVoteLoad({
      gateway,
      votingSecret: secret,
      history,
      rng: rng.fork('votes'),
      elections,
      startedAt: loadStart,
      windowMs: options.windowMs,
      rate: options.rate,
    });
    clearInterval(progress);
    await nemesis.stop();
    say('chaos: load done; healing and draining');
    for (const target of cluster.targets) signalTree(target.pids(), 'SIGCONT');
    for (const target of cluster.targets) await target.heal();
    await Promise.all([...cluster.stack.services.values()].map((s) => s.waitHealthy(120_000)));
    for (const e of elections) {
      await until(`the official recount of ${e.id}`, 300_000, async () => {
        const response = await fetch(`${gateway}/v1/elections/${e.id}/reconciliation`);
        await response.body?.cancel();
        return response.status === 200 ? true : undefined;
      });
    }
    await until('both projections to drain', 300_000, async () => {
      const response = await fetch(`${gateway}/v1/admin/log`, { headers: { authorization: `Bearer ${admin.token}` } });
      const body = (await response.json()) as { groups: Record<string, { undelivered: number; pending: number }> };
      return Object.values(body.groups).every((g) => g.undelivered === 0 && g.pending === 0) ? true : undefined;
    });
    await Promise.all(watchers);
    say('chaos: reading the final state');
    // the launcher runs the transparency projection (tally-transparency): every export is verified
    const finals = await readFinalState({
      env: cluster.env,
      gateway,
      elections,
      group: `chaos-check-${options.seed}`,
      verify: cluster.stack.services.has('tally-transparency'),
    });
    const result = check(history.events, finals);
    const votes = history.events.filter((e) => e.f === 'vote');
    return {
      seed: options.seed,
      log: options.log,
      windowMs: options.windowMs,
      attempted: votes.filter((e) => e.type === 'invoke').length,
      acknowledged: votes.filter((e) => e.type === 'ok').length,
      failed: votes.filter((e) => e.type === 'fail').length,
      unknown: votes.filter((e) => e.type === 'info').length,
      skippedInFlight: load.skippedInFlight,
      counted: Object.values(result.expected).reduce((a, e) => a + e.counted, 0),
      elections: elections.length,
      faults: Object.fromEntries(nemesis.injected),
      plannedFaults: plan,
      longestAckGap: longestAckGap(history.events, elections, loadStart - history.startedAt),
      sseEvents: history.events.filter((e) => e.f === 'sse').length,
      result,
      historyPath,
      dataDir: options.dataDir,
    };
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, interrupt);
    await history.close();
    await cluster.stop();
  }
}

/**
 * The longest stretch, while at least one election was open, in which no vote was
 * acknowledged (the load never stops, so a stretch is what a fault cost), with the fault
 * injected last before its end.
 */
export function longestAckGap(
  events: readonly HistoryEvent[],
  elections: readonly PlannedElection[],
  offset: number,
): { ms: number; from: number; fault: string } {
  const windows = elections
    .map((e) => [offset + e.opensAt + 2_000, offset + e.closesAt] as const)
    .sort((a, b) => a[0] - b[0])
    .reduce<Array<[number, number]>>((merged, [a, b]) => {
      const last = merged.at(-1);
      if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
      return merged;
    }, []);
  const oks = events.filter((e) => e.f === 'vote' && e.type === 'ok').map((e) => e.t);
  let best = { ms: 0, from: 0 };
  for (const [a, b] of windows) {
    let previous = a;
    for (const t of oks) {
      if (t < a || t > b) continue;
      if (t - previous > best.ms) best = { ms: t - previous, from: previous };
      previous = t;
    }
    if (b - previous > best.ms) best = { ms: b - previous, from: previous };
  }
  // the faults in progress during the stretch or ended shortly (5 s) before it began
  const spans: Array<{ label: string; from: number; to: number }> = [];
  for (const e of events) {
    if (e.f !== 'nemesis') continue;
    if (e.type === 'invoke') spans.push({ label: `${e.fault} ${e.target} at ${e.t} ms`, from: e.t, to: Number.POSITIVE_INFINITY });
    else if (e.type === 'ok' && spans.length > 0) (spans.at(-1) as { to: number }).to = e.t;
  }
  const near = spans.filter((s) => s.from <= best.from + best.ms && s.to >= best.from - 5_000).map((s) => s.label);
  return { ...best, fault: near.length === 0 ? 'none' : near.join(', ') };
}
