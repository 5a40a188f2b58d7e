#!/usr/bin/env node
// Entry of `npm start` and `npm test` on a fresh machine: installs what is missing (Debian
// packages, npm dependencies), then runs the launcher or the test suite. Plain JS with no
// dependencies, because it runs before `npm install`.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [mode = 'start', ...rest] = process.argv.slice(2);
const say = (message) => console.log(`urna: ${message}`);

function has(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

/** Debian packages the embedded default needs: binary → package. */
const APT = [
  ['redis-server', 'redis-server'],
  ['java', 'openjdk-17-jre-headless'],
];

function ensureAptPackages() {
  const missing = APT.filter(([binary]) => !has(binary)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && !has('sudo')) throw new Error(`missing ${missing.join(', ')}: install them with apt-get (needs root)`);
  say(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (...args) => (isRoot ? run('apt-get', args, { env }) : run('sudo', ['apt-get', ...args], { env }));
  aptGet('update', '-qq');
  aptGet('install', '-y', '-qq', ...missing);
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && existsSync(lock) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  say('installing npm dependencies');
  run('npm', existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
}

function runTests() {
  mkdirSync(join(root, '.urna'), { recursive: true });
  const report = join(root, '.urna', 'test-results.json');
  say('type-checking');
  const typecheck = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit', cwd: root });
  const vitest = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...rest], { stdio: 'inherit', cwd: root });
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (existsSync(report)) {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed = results.numPassedTests ?? 0;
    skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
    // a suite that failed to load has no failed tests of its own: count it once
    failed = (results.numFailedTests ?? 0) + (results.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed')).length;
  } else if (vitest.status !== 0) failed++;
  if (typecheck.status === 0) passed++;
  else failed++;
  console.log(`\ntypecheck ${typecheck.status === 0 ? 'passed' : 'FAILED'}; vitest exit ${vitest.status}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return typecheck.status === 0 && vitest.status === 0 && failed === 0 ? 0 : 1;
}

try {
  ensureAptPackages();
  ensureNodeModules();
} catch (error) {
  console.error(`urna: set-up failed: ${error.message}`);
  process.exit(1);
}

if (mode === 'test') process.exit(runTests());
if (mode === 'start') {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/launcher/main.ts'), ...rest], { stdio: 'inherit', cwd: root });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.error(`urna: unknown mode ${mode} (start | test)`);
  process.exit(2);
}
