// A seeded Jepsen-style chaos run over the whole stack (issue 13). Usage:
//   npm run chaos -- --seed 42 --minutes 30 [--log redis|kafka] [--rate 250] [--fault-gap 20] [--dir path] [--keep]
// Starts the stack as `npm start` does on free loopback ports (own redis-server, DynamoDB Local,
// with --log kafka three Apache Kafka brokers), drives scheduled elections, open-loop votes with
// duplicates and retries, SSE watchers, and a nemesis (SIGKILL, SIGSTOP/SIGCONT) over every
// process; then heals, drains and checks. Prints `lost N · double N · mismatch N` and the seed;
// exits 1 on any (3 when under 5% of the votes were acknowledged: inconclusive). The history
// (NDJSON) and the services' logs stay in the data dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from './report.ts';
import { runChaos } from './run.ts';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string' },
    minutes: { type: 'string', default: '5' },
    log: { type: 'string', default: 'redis' },
    rate: { type: 'string', default: '250' },
    'fault-gap': { type: 'string', default: '20' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
const minutes = Number(args.minutes);
const rate = Number(args.rate);
const faultGap = Number(args['fault-gap']);
if (!Number.isInteger(seed) || seed < 0 || !(minutes > 0) || !(rate > 0) || !(faultGap > 0) || !['redis', 'kafka'].includes(args.log)) {
  console.error('usage: npm run chaos -- --seed <int ≥ 0> --minutes <m> [--log redis|kafka] [--rate <votes/s>] [--fault-gap <s>]');
  process.exit(2);
}
const dataDir = args.dir ?? mkdtempSync(join(tmpdir(), `urna-chaos-${seed}-`));
const report = await runChaos({
  seed,
  windowMs: Math.round(minutes * 60_000),
  log: args.log as 'redis' | 'kafka',
  rate,
  faultGapMs: faultGap * 1_000,
  dataDir,
  say: (line) => console.log(line),
  handleSignals: true,
});
writeFileSync(join(dataDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(formatReport(report));
const failed = report.result.lost + report.result.double + report.result.mismatch + report.result.unverified > 0;
// a run that acknowledged (almost) nothing proves nothing: the machine was too busy for the rate
const inconclusive = report.acknowledged < report.attempted * 0.05;
if (inconclusive) console.log(`inconclusive: only ${report.acknowledged} of ${report.attempted} votes acknowledged; lower --rate`);
if (!failed && !inconclusive && !args.keep && args.dir === undefined) rmSync(dataDir, { recursive: true, force: true });
else console.log(`history and service logs kept in ${dataDir}`);
process.exit(failed ? 1 : inconclusive ? 3 : 0);
