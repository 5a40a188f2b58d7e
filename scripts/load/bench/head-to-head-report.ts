import { fmt } from '../measure.ts';
import { descendants, processesListeningOn } from './processes.ts';
import { describeLoad, runLoad, type Load, type RunResult, type Target } from './head-to-head.ts';

export interface HeadToHeadOptions {
  readonly urnaUrl: string;
  readonly peerUrl: string | undefined;
  readonly connections: number;
  readonly rate: number;
  readonly seconds: number;
  readonly voters: number;
  readonly say: (message: string) => void;
}

export interface HeadToHead {
  readonly loads: readonly string[];
  readonly runs: readonly RunResult[];
  /** urna's accepted votes/s ÷ the peer's, per load (absent without a peer). */
  readonly ratios: Record<string, number>;
}

/** urna is every process the bench started; the peer is whatever listens on its URL's port here. */
export async function headToHead(options: HeadToHeadOptions): Promise<HeadToHead> {
  const targets: Target[] = [{ name: 'urna', url: options.urnaUrl, processes: () => descendants(process.pid) }];
  if (options.peerUrl !== undefined) {
    const port = Number(new URL(options.peerUrl).port || 80);
    targets.push({ name: 'peer', url: options.peerUrl, processes: () => processesListeningOn(port) });
  }
  const loads: Load[] = [
    { kind: 'closed', connections: options.connections, seconds: options.seconds },
    { kind: 'open', rate: options.rate, seconds: options.seconds },
  ];
  const runs: RunResult[] = [];
  for (const load of loads) {
    for (const target of targets) {
      options.say(`head to head: ${target.name}, ${describeLoad(load)}`);
      runs.push(await runLoad(target, load, load.kind === 'closed' ? options.voters : Math.ceil(load.rate * load.seconds)));
    }
  }
  const ratios: Record<string, number> = {};
  for (const load of loads.map(describeLoad)) {
    const urna = runs.find((r) => r.load === load && r.target === 'urna');
    const peer = runs.find((r) => r.load === load && r.target === 'peer');
    if (urna !== undefined && peer !== undefined) ratios[load] = urna.acceptedPerSecond / peer.acceptedPerSecond;
  }
  return { loads: loads.map(describeLoad), runs, ratios };
}

const us = (n: number) => (Number.isFinite(n) ? fmt(n, 0) : 'n/a');

export function formatHeadToHead(h2h: HeadToHead): string {
  const rows = h2h.runs.map(
    (r) =>
      `           ${r.target.padEnd(5)} ${r.load.padEnd(36)} ${fmt(r.acceptedPerSecond, 0).padStart(10)} ${fmt(r.latencyMs.p50).padStart(7)} ${fmt(r.latencyMs.p99).padStart(7)} ${us(r.cpuPerVoteUsDuringLoad).padStart(11)} ${us(r.cpuPerVoteUs).padStart(11)} ${fmt(r.e2eMs.p99).padStart(9)}  ${r.reachedEvery202 ? `yes, +${fmt(r.catchUpSeconds)} s` : 'NO'}  ${JSON.stringify(r.statuses)}`,
  );
  const breakdown = h2h.runs
    .filter((r) => r.target === 'urna')
    .map(
      (r) =>
        `           urna, ${r.load}: ${Object.entries(r.cpuPerVoteUsByProcess)
          .filter(([, v]) => v >= 1)
          .map(([name, v]) => `${name} ${us(v)}`)
          .join(' · ')} µs`,
    );
  const ratios = Object.entries(h2h.ratios).map(
    ([load, ratio]) => `           urna ÷ peer, ${load}: ${fmt(ratio, 2)}× the peer's accepted votes/s`,
  );
  return `head to head (same loads, fresh voter per request, tokens minted through each target's API before the clock)
           who   load                                 accepted/s  p50 ms  p99 ms  µs CPU/vote  µs incl. drain  202→SSE p99  total reached every 202  statuses
${rows.join('\n')}
           server CPU per accepted vote, by process (including the drain after the load):
${breakdown.join('\n')}
${ratios.length > 0 ? ratios.join('\n') : '           no --peer given: urna alone'}`;
}
