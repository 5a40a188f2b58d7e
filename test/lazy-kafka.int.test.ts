import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateDevKeys } from '@urna/auth';
import { freePort } from '@urna/embedded';
import { eventually } from './helpers.ts';

const BLOCK_KAFKA = ['--import', './test/no-kafka-addon/register.mjs', '--import', 'tsx'];
const children: ChildProcess[] = [];

/** Runs a service's main as `npm start` does, but where the Kafka addon cannot load; collects its output. */
function run(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [...BLOCK_KAFKA, entry], {
    env: { ...process.env, URNA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  return { child, output: () => output };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

async function healthy(port: number, what: () => string): Promise<unknown> {
  return eventually(
    `healthz on :${port}`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return response.ok ? response.json() : undefined;
    },
    30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${what()}`);
  });
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('only a process on the Kafka log loads the Kafka client', () => {
  it('the hook really makes the addon unloadable (control)', async () => {
    const probe = spawn(process.execPath, [...BLOCK_KAFKA, '--input-type=module', '-e', "await import('@confluentinc/kafka-javascript')"], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    probe.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(probe)).not.toBe(0);
    expect(stderr).toContain('no-kafka-addon');
  });

  it('results-sse starts and answers where the addon is missing (the edge is nginx, no Node process)', async () => {
    const keys = await generateDevKeys();
    const resultsPort = await freePort();
    const results = run('results-sse/src/main.ts', {
      URNA_REDIS_URL: inject('redisUrl'),
      URNA_RESULTS_PORT: String(resultsPort),
      URNA_AUTH_JWKS: JSON.stringify(keys.jwks),
    });
    expect(await healthy(resultsPort, results.output)).toMatchObject({ status: 'ok', service: 'results-sse' });
    // results-sse reads its Redis read model
    const response = await fetch(`http://127.0.0.1:${resultsPort}/v1/elections/no-such-election/results`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ELECTION_NOT_FOUND');
    results.child.kill('SIGTERM');
    expect(await exited(results.child)).toBe(0);
  });

  it('a process on the Kafka log does load it, when it opens the log', async () => {
    const ingest = run('ingest/src/main.ts', {
      URNA_REDIS_URL: inject('redisUrl'),
      URNA_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      URNA_INGEST_PORT: String(await freePort()),
      URNA_LOG: 'kafka',
      URNA_KAFKA_BROKERS: inject('kafkaBrokers'),
      URNA_LOG_SIGNING_KEY: randomBytes(32).toString('base64url'),
    });
    expect(await exited(ingest.child)).not.toBe(0);
    expect(ingest.output()).toContain('no-kafka-addon');
  });
});
