#!/usr/bin/env node
// Entry of `npm start` and `npm test` on a fresh machine: installs what is missing (Debian
// packages, npm dependencies), then runs the launcher or the test suite. Plain JS with no
// dependencies, because it runs before `npm install`.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [mode = 'start', ...rest] = process.argv.slice(2);
const say = (message) => console.log(`urna: ${message}`);

function has(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary} || test -x /usr/sbin/${binary}`], { stdio: 'ignore' }).status === 0;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

/**
 * Debian packages: binary → package, and the modes that need it (maven is added when the Kafka
 * broker's jars must be fetched, see ensureKafkaDist; Kafka runs on the same Java 17); docker-compose
 * only validates docker-compose.redpanda.yml in the tests (no Docker engine is needed).
 */
const APT = [
  ['redis-server', 'redis-server', ['start', 'test']],
  ['java', 'openjdk-17-jre-headless', ['start', 'test']],
  // compiles the launcher that binds DynamoDB Local to loopback (packages/embedded/dynamodb/)
  ['javac', 'openjdk-17-jdk-headless', ['start', 'test']],
  ['docker-compose', 'docker-compose', ['test']],
  ['chromium', 'chromium', ['test']],
  // the edge (one origin at :8080); Debian puts it in /usr/sbin, often off a user's PATH
  ['nginx', 'nginx-light', ['start', 'test']],
  // the operations test runs the shipped alert rules in a real Prometheus (and promtool checks them)
  ['prometheus', 'prometheus', ['test']],
];

/**
 * @confluentinc/kafka-javascript builds its native addon at install time; dynamic linking
 * builds against the librdkafka it bundles, offline (the default tries to download a prebuilt
 * binary from GitHub first). Set for every npm command run from here.
 */
const npmEnv = { ...process.env, CKJS_LINKING: 'dynamic' };
const KAFKA_ADDON = join(root, 'node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node');

function ensureAptPackages() {
  const missing = APT.filter(([binary, , modes]) => modes.includes(mode) && !has(binary)).map(([, pkg]) => pkg);
  if (needsKafkaDist() && !has('mvn')) missing.push('maven');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && !has('sudo')) throw new Error(`missing ${missing.join(', ')}: install them with apt-get (needs root)`);
  say(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (...args) => (isRoot ? run('apt-get', args, { env }) : run('sudo', ['apt-get', ...args], { env }));
  aptGet('update', '-qq');
  aptGet('install', '-y', '-qq', ...missing);
}

/**
 * The Kafka client's native addon takes about a minute to build and only a process on the Kafka
 * log loads it (packages/log imports it when URNA_LOG=kafka). So `npm ci` runs without install
 * scripts, every other package's install script runs afterwards, and the addon is built only
 * for the tests and for `URNA_LOG=kafka npm start`.
 */
const needsKafkaClient = mode === 'test' || process.env.URNA_LOG === 'kafka';

/** Installed packages with an install script (from the lockfile), the Kafka client's excepted. */
function installScriptPackages() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages ?? {})
    .filter(
      ([path, entry]) =>
        entry.hasInstallScript === true && path.startsWith('node_modules/') && !path.endsWith('@confluentinc/kafka-javascript'),
    )
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && existsSync(lock) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (!fresh) {
    say('installing npm dependencies');
    if (existsSync(lock)) {
      run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { env: npmEnv });
      const scripted = installScriptPackages();
      if (scripted.length > 0) run('npm', ['rebuild', ...scripted], { env: npmEnv });
    } else run('npm', ['install', '--no-audit', '--no-fund'], { env: npmEnv });
  }
  if (needsKafkaClient && !existsSync(KAFKA_ADDON)) {
    say('building the Kafka client (@confluentinc/kafka-javascript, native: about a minute)');
    run('npm', ['rebuild', '@confluentinc/kafka-javascript'], { env: npmEnv });
  }
}

/**
 * Apache Kafka's broker jars (KRaft mode, run by KafkaCluster in packages/embedded) come from
 * Maven Central through packages/embedded/kafka/pom.xml. Fetched once into .urna/kafka-dist/<version>
 * (Maven also caches them under ~/.m2). Needed by `npm test` (unless URNA_TEST_KAFKA_BROKERS names
 * an external cluster) and by `URNA_LOG=kafka npm start` without URNA_KAFKA_BROKERS.
 */
const KAFKA_POM = join(root, 'packages/embedded/kafka/pom.xml');

function kafkaDist() {
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(KAFKA_POM, 'utf8'))?.[1];
  const dir = process.env.URNA_KAFKA_DIST ?? join(root, '.urna', 'kafka-dist', version);
  return { version, dir, marker: join(dir, `kafka_2.13-${version}.jar`) };
}

function needsKafkaDist() {
  if (mode === 'test') return process.env.URNA_TEST_KAFKA_BROKERS === undefined;
  return mode === 'start' && process.env.URNA_LOG === 'kafka' && process.env.URNA_KAFKA_BROKERS === undefined;
}

function ensureKafkaDist() {
  if (!needsKafkaDist()) return;
  const { version, dir, marker } = kafkaDist();
  if (existsSync(marker)) return;
  say(`fetching Apache Kafka ${version} (broker jars, ~45 MB) from Maven Central into ${dir}`);
  const started = Date.now();
  run('mvn', ['-q', '-B', '-f', KAFKA_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`]);
  if (!existsSync(marker)) throw new Error(`Maven finished but ${marker} is missing`);
  say(`Apache Kafka ${version} fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Newest modification time of a file or of any file below a directory. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the web pages (vite) when web/dist is missing or older than its sources. */
function ensureWebBuild() {
  const web = join(root, 'web');
  const built = newest(join(web, 'dist', 'index.html'));
  const sources = Math.max(
    newest(join(web, 'src')),
    newest(join(web, 'index.html')),
    newest(join(web, 'admin.html')),
    newest(join(web, 'vite.config.ts')),
  );
  if (built >= sources) return;
  say('building the web pages (vite)');
  run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: web });
}

function runTests() {
  mkdirSync(join(root, '.urna'), { recursive: true });
  const report = join(root, '.urna', 'test-results.json');
  const node = (...args) => spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root }).status;
  const tsc = (project) => node(join(root, 'node_modules/typescript/bin/tsc'), '-p', project);
  /** Static checks, each counted as one test: passed or failed. */
  const checks = [
    // services and tests (Node), then the web pages (DOM)
    ['typecheck', () => tsc('tsconfig.json') || tsc('web/tsconfig.json')],
    [
      'boundaries',
      () =>
        node(
          join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
          '--config',
          '.dependency-cruiser.cjs',
          '--output-type',
          'err-long',
          '.',
        ),
    ],
    ['lint', () => node(join(root, 'node_modules/eslint/bin/eslint.js'), '.')],
    ['format', () => node(join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '--log-level', 'warn', '.')],
  ].map(([name, check]) => {
    say(`${name}`);
    return { name, status: check() };
  });
  const vitest = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...rest],
    { stdio: 'inherit', cwd: root },
  );
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (existsSync(report)) {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed = results.numPassedTests ?? 0;
    skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
    // a suite that failed to load has no failed tests of its own: count it once
    failed =
      (results.numFailedTests ?? 0) +
      (results.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'))
        .length;
  }
  // vitest failed without a failed test (a worker that died, an unhandled error, no report):
  // that is one failure, never "0 failed"
  if (vitest.status !== 0 && failed === 0) failed++;
  for (const check of checks) {
    if (check.status === 0) passed++;
    else failed++;
  }
  console.log(`\n${checks.map((c) => `${c.name} ${c.status === 0 ? 'passed' : 'FAILED'}`).join('; ')}; vitest exit ${vitest.status}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return checks.every((c) => c.status === 0) && vitest.status === 0 && failed === 0 ? 0 : 1;
}

try {
  ensureAptPackages();
  ensureNodeModules();
  ensureKafkaDist();
  ensureWebBuild();
} catch (error) {
  console.error(`urna: set-up failed: ${error.message}`);
  process.exit(1);
}

if (mode === 'test') process.exit(runTests());
if (mode === 'start') {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/launcher/main.ts'), ...rest], {
    stdio: 'inherit',
    cwd: root,
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.error(`urna: unknown mode ${mode} (start | test)`);
  process.exit(2);
}
