import type { FaultTarget } from './cluster.ts';
import { signalTree } from './cluster.ts';
import type { HistoryRecorder } from './history.ts';
import type { Prng } from './prng.ts';

export type FaultKind = 'kill' | 'pause';

export interface PlannedFault {
  /** Milliseconds after the nemesis starts. */
  readonly at: number;
  readonly target: string;
  readonly kind: FaultKind;
  /** Pause: how long the process stays stopped; kill: how long an unsupervised process stays dead. */
  readonly durationMs: number;
}

/**
 * The whole fault schedule, drawn up front from the seed: one fault at a time, every `gapMs`
 * on average, each target and kind equally likely. A fault that is still healing delays the
 * next one (the schedule's times are lower bounds), so the run's faults are the seed's.
 */
export function planFaults(rng: Prng, targets: readonly string[], windowMs: number, meanGapMs: number): PlannedFault[] {
  const plan: PlannedFault[] = [];
  let at = meanGapMs / 2;
  for (;;) {
    at += Math.round(meanGapMs / 2 + rng.next() * meanGapMs);
    if (at >= windowMs) return plan;
    const kind: FaultKind = rng.chance(0.5) ? 'kill' : 'pause';
    plan.push({ at, target: rng.pick(targets), kind, durationMs: kind === 'pause' ? rng.int(1_000, 8_000) : rng.int(0, 3_000) });
  }
}

export interface NemesisRun {
  /** Resolves once the last fault is healed. */
  readonly done: Promise<void>;
  /** Stops after the fault in progress, and heals it. */
  stop(): Promise<void>;
  readonly injected: Map<string, number>;
}

export function runNemesis(
  plan: readonly PlannedFault[],
  targets: readonly FaultTarget[],
  history: HistoryRecorder,
  waitHealthy: (target: string) => Promise<void>,
): NemesisRun {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const injected = new Map<string, number>();
  const started = Date.now();
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const done = (async () => {
    for (const fault of plan) {
      await sleep(fault.at - (Date.now() - started));
      if (stopped) return;
      const target = byName.get(fault.target);
      if (target === undefined) continue;
      const label = `${fault.kind} ${fault.target}`;
      history.record({ type: 'invoke', f: 'nemesis', process: 'nemesis', fault: fault.kind, target: fault.target });
      try {
        if (fault.kind === 'kill') {
          await target.kill();
          await new Promise((r) => setTimeout(r, fault.durationMs));
          await target.heal();
        } else {
          const pids = target.pids();
          signalTree(pids, 'SIGSTOP');
          await new Promise((r) => setTimeout(r, fault.durationMs));
          signalTree(pids, 'SIGCONT');
        }
        injected.set(label, (injected.get(label) ?? 0) + 1);
        await waitHealthy(fault.target);
      } catch (error) {
        // a restart that failed is retried by the final heal; the run goes on
        history.record({ type: 'info', f: 'nemesis', process: 'nemesis', target: fault.target, error: String(error) });
      }
      history.record({ type: 'ok', f: 'nemesis', process: 'nemesis', fault: fault.kind, target: fault.target });
    }
  })();
  return {
    done,
    injected,
    stop: async () => {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
