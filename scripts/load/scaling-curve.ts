// `npm run bench:scale`: the scaling curve of issue 15 in one run. For each process count it starts
// a fresh stack whose ingest, results-sse and each projection's workers run that many processes
// (the launcher's URNA_*_PROCESSES), drives the same closed-loop and open-loop vote loads through
// the edge as the head-to-head bench, charges every process's CPU (drain included) to the
// accepted votes, stops the stack, and prints each count as a ratio to the first.
// Usage: npm run bench:scale [-- --processes 1,2 --connections 100 --seconds 10 --rate 2000 --voters 60000]
// The load generator shares the machine's cores: on a 2-core machine the second process can at
// best add the other core, which Redis, DynamoDB Local, nginx and the generator also use.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT, startStack } from '../launcher/stack.ts';
import { fmt } from './measure.ts';
import { describeLoad, runLoad, type Load, type RunResult } from './bench/head-to-head.ts';
import { descendants } from './bench/processes.ts';
import { BENCH_LIMITS, describeLimits } from './bench/limits.ts';

const { values: args } = parseArgs({
  options: {
    processes: { type: 'string', default: '1,2' },
    connections: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
    voters: { type: 'string', default: '60000' },
  },
});
const COUNTS = args.processes.split(',').map(Number);
const SECONDS = Number(args.seconds);
const LOADS: Load[] = [
  { kind: 'closed', connections: Number(args.connections), seconds: SECONDS },
  { kind: 'open', rate: Number(args.rate), seconds: SECONDS },
];
const say = (m: string) => console.log(`bench:scale: ${m}`);

interface Point {
  readonly processes: number;
  readonly loadAverageBefore: number;
  readonly runs: readonly RunResult[];
}

say(describeLimits());
const points: Point[] = [];
for (const count of COUNTS) {
  const dataDir = mkdtempSync(join(tmpdir(), 'urna-scale-'));
  const perService = String(count);
  const env = {
    ...BENCH_LIMITS,
    URNA_INGEST_PROCESSES: perService,
    URNA_RESULTS_PROCESSES: perService,
    URNA_WORKER_PROCESSES: perService,
  };
  say(`${count} process(es) of each service: starting a stack`);
  const stack = await startStack({ dataDir, ports: 'free', logs: 'files', dynamoOnDisk: true, env });
  const loadAverageBefore = loadavg()[0] ?? Number.NaN;
  const runs: RunResult[] = [];
  try {
    for (const load of LOADS) {
      say(`${count} process(es): ${describeLoad(load)}`);
      const target = { name: `urna ×${count}`, url: stack.urls.gateway, processes: () => descendants(process.pid) };
      runs.push(await runLoad(target, load, load.kind === 'closed' ? Number(args.voters) : Math.ceil(load.rate * load.seconds)));
    }
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  points.push({ processes: count, loadAverageBefore, runs });
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const us = (n: number) => (Number.isFinite(n) ? fmt(n, 0) : 'n/a');
const first = points[0];
const lines: string[] = [];
for (const load of LOADS.map(describeLoad)) {
  lines.push(`           ${load}`);
  for (const point of points) {
    const run = point.runs.find((r) => r.load === load);
    const base = first?.runs.find((r) => r.load === load);
    if (run === undefined) continue;
    const ratio = base === undefined ? Number.NaN : run.acceptedPerSecond / base.acceptedPerSecond;
    lines.push(
      `           ${`×${point.processes}`.padStart(4)} ${fmt(run.acceptedPerSecond, 0).padStart(10)} ${`${fmt(ratio, 2)}×`.padStart(7)} ${fmt(run.latencyMs.p50).padStart(7)} ${fmt(run.latencyMs.p99).padStart(7)} ${us(run.cpuPerVoteUs).padStart(11)} ${fmt(run.e2eMs.p99).padStart(9)}  ${run.reachedEvery202 ? 'yes' : 'NO '}  load avg ${fmt(point.loadAverageBefore)}  ${JSON.stringify(run.statuses)}`,
    );
    lines.push(
      `                by process: ${Object.entries(run.cpuPerVoteUsByProcess)
        .filter(([, v]) => v >= 1)
        .map(([name, v]) => `${name} ${us(v)}`)
        .join(' · ')} µs`,
    );
  }
}
console.log(`
urna scaling curve — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version} — commit ${commit}
npm run bench:scale -- ${process.argv.slice(2).join(' ')}
processes per service (ingest, results-sse, each projection's workers); every stack on one redis-server + DynamoDB Local + nginx
           ×N   accepted/s  ÷ ×${first?.processes ?? 1}  p50 ms  p99 ms  µs CPU/vote  202→SSE p99  every 202 counted
${lines.join('\n')}`);
const dir = join(REPO_ROOT, '.urna', 'bench');
mkdirSync(dir, { recursive: true });
const file = join(dir, `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), commit, machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, points }, null, 2),
);
console.log(`JSON: ${file}`);
