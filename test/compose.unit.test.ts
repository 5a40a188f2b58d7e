import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { checkLogConfig, recordSigningOf } from '@urna/log';
import { checkAuthConfig } from '@urna/auth';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';
import { IngestConfig } from '@urna/ingest';
import { WorkerConfig } from '@urna/tally-worker';
import { ResultsConfig } from '@urna/results-sse';
import { RecountConfig } from '@urna/recount';
import { EdgeConfig, renderTemplate } from '@urna/edge';
import { generateSigner } from '@urna/transparency';
import { DEFAULT_PORTS, REPO_ROOT } from '../scripts/launcher/stack.ts';

/*
 * docker-compose.redpanda.yml cannot be started here (no Docker engine). What is checked:
 * Debian's docker-compose (1.29) accepts it, and what it configures matches what the code
 * reads — env keys, values that pass each service's zod schema, ports, host names, the topic
 * and partition count the admin job creates, and the durability settings.
 */
const FILE = join(REPO_ROOT, 'docker-compose.redpanda.yml');
const run = promisify(execFile);
const transparencyKey = generateSigner('urna.example.org/log');
const secrets = {
  URNA_TRANSPARENCY_KEY: transparencyKey.skey,
  URNA_TRANSPARENCY_VKEY: transparencyKey.vkey,
  URNA_PSEUDONYM_SECRET: randomBytes(32).toString('base64url'),
  URNA_AUTH_ISSUER: 'https://idp.example.org/',
  URNA_AUTH_AUDIENCE: 'urna',
  URNA_AUTH_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json',
  URNA_VOTING_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  URNA_LOG_SIGNING_KEY: randomBytes(32).toString('base64url'),
  URNA_KAFKA_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
  URNA_KAFKA_PRODUCER_PASSWORD: randomBytes(12).toString('hex'),
  URNA_KAFKA_CONSUMER_PASSWORD: randomBytes(12).toString('hex'),
  URNA_KAFKA_CONSOLE_PASSWORD: randomBytes(12).toString('hex'),
  URNA_CONSOLE_LOGIN_PASSWORD: randomBytes(8).toString('hex'),
  URNA_GRAFANA_ADMIN_PASSWORD: randomBytes(8).toString('hex'),
};
const compose = (env: Record<string, string>, ...args: string[]) =>
  run('docker-compose', ['-f', FILE, ...args], { env: { PATH: process.env.PATH, ...env }, cwd: REPO_ROOT });

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | null>;
  ports?: Array<{ published: number | string; target: number | string }>;
  healthcheck?: { test: string[] };
  volumes?: Array<string | { source: string; target: string }>;
}
let services: Record<string, Service>;
const envOf = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]));
/** The command as the container receives it (`config` keeps compose's `$$` escapes). */
const commandOf = (name: string): string => [services[name]?.command ?? []].flat().join(' ').replaceAll('$$', '$');

beforeAll(async () => {
  const { stdout } = await compose(secrets, 'config');
  services = (parse(stdout) as { services: Record<string, Service> }).services;
});

describe('docker-compose.redpanda.yml', () => {
  it('is valid for docker-compose (config -q) and refuses to render without the auth secrets', async () => {
    await expect(compose(secrets, 'config', '-q')).resolves.toBeDefined();
    await expect(compose({}, 'config', '-q')).rejects.toThrow(/set URNA_[A-Z_]+/);
    // each secret of the log and of Kafka's users is required on its own
    for (const key of [
      'URNA_LOG_SIGNING_KEY',
      'URNA_KAFKA_ADMIN_PASSWORD',
      'URNA_KAFKA_PRODUCER_PASSWORD',
      'URNA_KAFKA_CONSUMER_PASSWORD',
      'URNA_KAFKA_CONSOLE_PASSWORD',
      'URNA_CONSOLE_LOGIN_PASSWORD',
      'URNA_TRANSPARENCY_KEY',
      'URNA_TRANSPARENCY_VKEY',
      'URNA_PSEUDONYM_SECRET',
      'URNA_GRAFANA_ADMIN_PASSWORD',
    ]) {
      const without = Object.fromEntries(Object.entries(secrets).filter(([k]) => k !== key));
      await expect(compose(without, 'config', '-q'), key).rejects.toThrow(new RegExp(`set ${key}`));
    }
  });

  it('Kafka requires SASL/SCRAM: every client has its own user, and ACLs grant each only what it needs', () => {
    const job = commandOf('create-topics');
    const step = (text: string) => job.indexOf(text);
    // users before SASL is switched on, SASL before any Kafka request of the job
    for (const user of ['admin', 'urna-producer', 'urna-consumer', 'console'])
      expect(step(`rpk security user create ${user} `), user).toBeGreaterThanOrEqual(0);
    expect(step('rpk security user create console')).toBeLessThan(step('rpk cluster config set enable_sasl true'));
    expect(step('rpk cluster config set superusers "[\'admin\']"')).toBeLessThan(step('rpk cluster config set enable_sasl true'));
    expect(step('rpk cluster config set enable_sasl true')).toBeLessThan(step('rpk topic describe'));
    expect(envOf('create-topics')).toMatchObject({ RPK_USER: 'admin', RPK_SASL_MECHANISM: 'SCRAM-SHA-256' });
    const grants = (user: string) =>
      [...job.matchAll(new RegExp(`--allow-principal User:${user} (--operation [^&]+)`, 'g'))].map((m) => m[1]?.trim());
    expect(grants('urna-producer')).toEqual([
      '--operation write,describe --topic "$URNA_KAFKA_TOPIC"',
      '--operation idempotent_write --cluster',
      '--operation describe --group live-tally,vote-store,transparency',
    ]);
    expect(grants('urna-consumer')).toEqual([
      '--operation read,describe --topic "$URNA_KAFKA_TOPIC"',
      '--operation read,describe --group live-tally,vote-store,transparency',
    ]);
    const consoleOperations = grants('console').flatMap((g) => (g?.match(/^--operation (\S+)/)?.[1] ?? '').split(','));
    expect(consoleOperations.sort()).toEqual(['describe', 'describe', 'describe_configs', 'read']);
    // the services: producers write (ingest, recount's close markers), consumers read (workers)
    const users = {
      ingest: 'urna-producer',
      recount: 'urna-producer',
      'tally-live': 'urna-consumer',
      'tally-store': 'urna-consumer',
      'tally-transparency': 'urna-consumer',
    };
    for (const [name, user] of Object.entries(users)) {
      expect(envOf(name), name).toMatchObject({
        URNA_KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
        URNA_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
        URNA_KAFKA_SASL_USERNAME: user,
      });
      expect(envOf(name).URNA_KAFKA_SASL_PASSWORD).toBe(
        user === 'urna-producer' ? secrets.URNA_KAFKA_PRODUCER_PASSWORD : secrets.URNA_KAFKA_CONSUMER_PASSWORD,
      );
    }
    expect(envOf('results-sse').URNA_KAFKA_SASL_PASSWORD).toBeUndefined(); // never touches the log
  });

  it('Redpanda Console logs in to Kafka as the read-only user and is reachable only through basic auth on loopback', () => {
    expect(envOf('console')).toMatchObject({
      KAFKA_SASL_ENABLED: 'true',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'console',
      KAFKA_SASL_PASSWORD: secrets.URNA_KAFKA_CONSOLE_PASSWORD,
    });
    expect(services.console?.ports ?? []).toEqual([]);
    const proxy = commandOf('console-auth');
    expect(proxy).toContain('auth_basic "Redpanda Console"');
    expect(proxy).toContain('auth_basic_user_file /etc/nginx/console.htpasswd');
    expect(proxy).toContain('proxy_pass http://console:8080');
    expect(envOf('console-auth').CONSOLE_LOGIN_PASSWORD).toBe(secrets.URNA_CONSOLE_LOGIN_PASSWORD);
    // docker-compose 1.29 prints short syntax: published on loopback only
    expect((services['console-auth']?.ports ?? []).map(String)).toEqual(['127.0.0.1:8088:8088/tcp']);
  });

  it('has every service of the design: 3 Redpanda brokers, console, Redis, DynamoDB, the admin jobs and every urna service', () => {
    expect(Object.keys(services).sort()).toEqual([
      'console',
      'console-auth',
      'create-tables',
      'create-topics',
      'dynamodb',
      'edge',
      'grafana',
      'ingest',
      'prometheus',
      'recount',
      'redis',
      'redpanda-0',
      'redpanda-1',
      'redpanda-2',
      'results-sse',
      'tally-live',
      'tally-store',
      'tally-transparency',
    ]);
  });

  const urna: Record<string, { schema: z.ZodObject; entry: string; portKey?: string }> = {
    ingest: { schema: IngestConfig, entry: 'ingest/src/main.ts', portKey: 'URNA_INGEST_PORT' },
    'tally-live': { schema: WorkerConfig, entry: 'tally-worker/src/main.ts', portKey: 'URNA_WORKER_PORT' },
    'tally-store': { schema: WorkerConfig, entry: 'tally-worker/src/main.ts', portKey: 'URNA_WORKER_PORT' },
    'tally-transparency': { schema: WorkerConfig, entry: 'tally-worker/src/main.ts', portKey: 'URNA_WORKER_PORT' },
    'results-sse': { schema: ResultsConfig, entry: 'results-sse/src/main.ts', portKey: 'URNA_RESULTS_PORT' },
    recount: { schema: RecountConfig, entry: 'recount/src/main.ts', portKey: 'URNA_RECOUNT_PORT' },
  };

  it.each(Object.keys(urna))('%s: runs its entry point with env keys its config schema reads and accepts', (name) => {
    const { schema, entry, portKey } = urna[name]!;
    const env = envOf(name);
    expect(commandOf(name)).toBe(entry);
    expect(existsSync(join(REPO_ROOT, entry))).toBe(true);
    const unknown = Object.keys(env).filter((key) => !(key in schema.shape));
    expect(unknown, `keys ${name} never reads`).toEqual([]);
    const config = loadConfig(schema, env) as Record<string, unknown>;
    if ('URNA_LOG' in config) {
      checkLogConfig(config as Parameters<typeof checkLogConfig>[0]);
      recordSigningOf(config as Parameters<typeof recordSigningOf>[0]); // what openVoteLog requires: the record signing key
    }
    // ingest and results-sse run in production mode: no dev issuer, a real identity provider
    if ('URNA_MODE' in config) {
      expect(config.URNA_MODE).toBe('production');
      checkAuthConfig(config as unknown as Parameters<typeof checkAuthConfig>[0]);
    }
    expect(config.URNA_HOST).toBe('0.0.0.0');
    // the health check probes the port the service listens on
    const port = String(config[portKey!]);
    expect(services[name]?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
  });

  it('create-tables runs the admin script with keys it reads', () => {
    expect(commandOf('create-tables')).toBe('scripts/admin/ensure-tables.ts');
    expect(Object.keys(envOf('create-tables')).every((key) => key in sharedConfigShape)).toBe(true);
  });

  it("the edge is nginx with the repo's template, every placeholder set, values the launcher would accept too", () => {
    const edge = envOf('edge');
    const template = readFileSync(join(REPO_ROOT, 'edge', 'urna.conf.template'), 'utf8');
    const placeholders = new Set([...template.matchAll(/\$\{(URNA_EDGE_[A-Z0-9_]+)\}/g)].map((m) => m[1] as string));
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/FROM nginx:[\d.]+-bookworm AS edge/);
    expect(dockerfile).toContain('COPY edge/urna.conf.template /etc/nginx/templates/urna.conf.template');
    expect(services.edge?.build).toMatchObject({ target: 'edge' });
    expect(edge.NGINX_ENVSUBST_FILTER).toBe('^URNA_EDGE_');
    expect(
      Object.keys(edge)
        .filter((k) => k.startsWith('URNA_EDGE_'))
        .sort(),
    ).toEqual([...placeholders].sort());
    loadConfig(EdgeConfig, edge);
    expect(() => renderTemplate(template, edge)).not.toThrow();
    expect(services.edge?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${edge.URNA_EDGE_LISTEN}/healthz`);
  });

  it('wires hosts and ports consistently: edge → ingest/results-sse, Redis, DynamoDB, the brokers', () => {
    const edge = envOf('edge');
    expect(edge.URNA_EDGE_INGEST).toBe(`ingest:${envOf('ingest').URNA_INGEST_PORT}`);
    expect(edge.URNA_EDGE_RESULTS).toBe(`results-sse:${envOf('results-sse').URNA_RESULTS_PORT}`);
    expect(edge.URNA_EDGE_LIFECYCLE).toBe(`recount:${envOf('recount').URNA_RECOUNT_PORT}`);
    expect(services.edge?.ports?.map((p) => `${p.published}:${p.target}`)).toEqual([`8080:${edge.URNA_EDGE_LISTEN}`]);
    for (const name of ['ingest', 'tally-live', 'tally-store', 'tally-transparency', 'results-sse', 'recount']) {
      expect(envOf(name).URNA_REDIS_URL).toBe(`redis://redis:6379`);
      expect(envOf(name).URNA_DYNAMODB_ENDPOINT).toBe('http://dynamodb:8000');
    }
    expect(commandOf('redis')).toContain('--port 6379');
    expect(commandOf('dynamodb')).toContain('-port 8000');
    for (const name of ['ingest', 'tally-live', 'tally-store', 'tally-transparency']) {
      expect(envOf(name).URNA_LOG).toBe('kafka');
      for (const broker of (envOf(name).URNA_KAFKA_BROKERS ?? '').split(',')) {
        const [host] = broker.split(':');
        expect(commandOf(host!)).toContain(`internal://${broker}`);
      }
    }
  });

  it('the admin job creates exactly the topic and partitions the services use, replicated 3×', () => {
    const job = envOf('create-topics');
    for (const name of ['ingest', 'tally-live', 'tally-store', 'tally-transparency']) {
      expect(envOf(name).URNA_KAFKA_TOPIC).toBe(job.URNA_KAFKA_TOPIC);
      expect(envOf(name).URNA_LOG_PARTITIONS).toBe(job.URNA_LOG_PARTITIONS);
    }
    expect(job.URNA_KAFKA_REPLICATION_FACTOR).toBe('3');
    const command = commandOf('create-topics');
    expect(command).toContain('rpk topic create "$URNA_KAFKA_TOPIC" -p "$URNA_LOG_PARTITIONS" -r "$URNA_KAFKA_REPLICATION_FACTOR"');
    expect(job.RPK_BROKERS).toBe(envOf('ingest').URNA_KAFKA_BROKERS);
  });

  it('keeps the durability settings: no dev mode or fsync bypass, no write caching, Redis AOF fsync always', () => {
    for (const name of ['redpanda-0', 'redpanda-1', 'redpanda-2']) {
      const command = commandOf(name);
      expect(command).toContain('rpk redpanda mode production');
      expect(command).not.toMatch(/dev-container|unsafe-bypass-fsync|developer_mode=true/);
      expect(command).toContain('--seeds=redpanda-0:33145,redpanda-1:33145,redpanda-2:33145');
    }
    expect(commandOf('create-topics')).toContain('write_caching_default=false');
    expect(commandOf('create-topics')).toContain('write.caching=false');
    expect(commandOf('redis')).toContain('--appendonly yes --appendfsync always');
  });

  it('builds the urna services from the Dockerfile on an LTS Node image, with the Kafka client built offline', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const major = Number(/ARG NODE_VERSION=(\d+)/.exec(dockerfile)?.[1]);
    expect(major % 2 === 0 && major >= 22).toBe(true);
    expect(dockerfile).toContain('CKJS_LINKING=dynamic npm ci');
    for (const name of [...Object.keys(urna), 'create-tables', 'edge']) expect(services[name]?.build).toBeDefined();
  });

  it('runs Prometheus with the shipped config and rules, scraping every urna service on its own port, and Grafana with the dashboard provisioned', () => {
    const mounts = (name: string) =>
      (services[name]?.volumes ?? [])
        .map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))
        .map((v) => v.replace(REPO_ROOT, '.'));
    expect(mounts('prometheus')).toEqual(
      expect.arrayContaining([
        './ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './ops/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ]),
    );
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining([
        './ops/grafana/provisioning:/etc/grafana/provisioning:ro',
        './ops/grafana/dashboards:/etc/grafana/dashboards:ro',
      ]),
    );
    for (const name of ['prometheus', 'grafana'])
      expect(
        (services[name]?.ports ?? []).map(String).every((p) => p.startsWith('127.0.0.1:')),
        name,
      ).toBe(true);
    const config = parse(readFileSync(join(REPO_ROOT, 'ops/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>;
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const scraped = Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job.dns_sd_configs[0]]));
    // every urna service of the compose file is a job named after it, at the port it listens on
    for (const [name, { portKey }] of Object.entries(urna)) {
      expect(scraped[name]?.names, name).toEqual([name]);
      expect(String(scraped[name]?.port), name).toBe(envOf(name)[portKey as string]);
    }
    // and every job is one of the services, at the port the launcher gives it too
    const launcherPort: Record<string, number> = {
      ingest: DEFAULT_PORTS.ingest,
      'results-sse': DEFAULT_PORTS.results,
      'tally-live': DEFAULT_PORTS.workerLive,
      'tally-store': DEFAULT_PORTS.workerStore,
      'tally-transparency': DEFAULT_PORTS.workerTransparency,
      recount: DEFAULT_PORTS.recount,
    };
    for (const [job, sd] of Object.entries(scraped)) expect(sd?.port, job).toBe(launcherPort[job]);
    const provider = parse(readFileSync(join(REPO_ROOT, 'ops/grafana/provisioning/dashboards/urna.yml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provider.providers[0]?.options.path).toBe('/etc/grafana/dashboards');
    expect(existsSync(join(REPO_ROOT, 'ops/grafana/dashboards/urna.json'))).toBe(true);
  });
});
