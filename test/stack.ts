import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { Redis } from 'ioredis';
import { openVoteLog, type VoteLog } from '@urna/log';
import { mintVotingToken } from '@urna/auth';
import { startStack, type Stack } from '../scripts/launcher/stack.ts';
import type { ResultsSnapshot } from '@urna/tally';
import { eventually, randomName } from './helpers.ts';

export interface TestStack {
  readonly stack: Stack;
  /** The last `lines` lines of each named service's log (for a failing test's message). */
  serviceLogs(names: readonly string[], lines?: number): string;
  readonly gateway: string;
  readonly logPrefix: string;
  /** This stack's Kafka consumer-group prefix: stacks sharing the run's cluster never share a group. */
  readonly kafkaGroupPrefix: string;
  /**
   * This stack's DynamoDB table prefix. Stacks share the run's DynamoDB Local but never a table:
   * a lifecycle service resumes the schedule of every election in its elections table at start,
   * so with one shared table a stack started later closed another stack's scheduled election on
   * its own log (foreign close markers, and votes wrongly rejected after-close).
   */
  readonly tablePrefix: string;
  /** Its data dir and prefixes: a restart (after `stop({ keepData: true })`) passes them to startTestStack. */
  readonly identity: TestStackIdentity;
  voterToken(userId: string): string;
  adminToken(): Promise<string>;
  /** Stops every process; removes the data dir unless `keepData` (a restart follows) or it was passed in. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * The stack exactly as `npm start` runs it (every service its own supervised process), on
 * free ports, reusing the run's redis-server and DynamoDB Local, isolated by a random log
 * prefix. Service logs go to files under a temp dir (printed on failure by the caller).
 */
export async function startTestStack(
  env: Record<string, string> = {},
  reuse?: TestStackIdentity,
  /** `ownRedis`: a redis-server of its own in the data dir (to crash it); `superviseServers`: as npm start. */
  servers: { readonly ownRedis?: boolean; readonly superviseServers?: boolean } = {},
): Promise<TestStack> {
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'urna-stack-'));
  const logPrefix = reuse?.logPrefix ?? randomName('test:votes');
  const kafkaGroupPrefix = reuse?.kafkaGroupPrefix ?? `${randomName('test')}.`;
  const tablePrefix = reuse?.tablePrefix ?? `${randomName('t').replace(/-/g, '_')}_`;
  const queuePrefix = reuse?.queuePrefix ?? randomName('test-bull');
  const rlPrefix = reuse?.rlPrefix ?? randomName('test:rl');
  const stack = await startStack({
    dataDir,
    ports: 'free',
    logs: 'files',
    ...(servers.ownRedis === true ? {} : { redisUrl: inject('redisUrl') }),
    dynamoEndpoint: inject('dynamoEndpoint'),
    ...(servers.superviseServers === true ? { superviseServers: true } : {}),
    env: {
      URNA_LOG_PREFIX: logPrefix,
      URNA_KAFKA_GROUP_PREFIX: kafkaGroupPrefix,
      URNA_TABLE_PREFIX: tablePrefix,
      URNA_QUEUE_PREFIX: queuePrefix,
      URNA_LOG_PARTITIONS: '8',
      URNA_WORKER_CLAIM_IDLE_MS: '2000',
      // every test client comes from 127.0.0.1: the edge's per-address limits are raised here
      // and tested on their own (edge/test, test/abuse.e2e.test.ts)
      URNA_EDGE_REQ_PER_SEC: '100000',
      URNA_EDGE_REQ_BURST: '100000',
      URNA_EDGE_CONN_PER_IP: '20000',
      URNA_EDGE_SSE_PER_IP: '20000',
      // elections without a `challenge` are created without proof-of-work here; tests that want
      // it ask for it per election (the browser journey, test/abuse.e2e.test.ts)
      URNA_CHALLENGE_DEFAULT: 'off',
      // rate-limit counters are per run: parallel test files share one Redis and one address
      URNA_RL_PREFIX: rlPrefix,
      ...env,
    },
  });
  const secret = Buffer.from(stack.env.URNA_VOTING_TOKEN_SECRET as string, 'base64url');
  return {
    stack,
    gateway: stack.urls.gateway,
    logPrefix,
    kafkaGroupPrefix,
    tablePrefix,
    serviceLogs: (names, lines = 60) =>
      names
        .map((name) => {
          const file = join(dataDir, 'logs', `${name}.log`);
          const text = existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
          return `--- ${name} ---\n${text}`;
        })
        .join('\n'),
    voterToken: (userId) => mintVotingToken({ userId, role: 'voter' }, secret, 600),
    adminToken: async () => {
      const response = await fetch(`${stack.urls.gateway}/v1/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'admin', role: 'admin' }),
      });
      return ((await response.json()) as { token: string }).token;
    },
    identity: { dataDir, logPrefix, kafkaGroupPrefix, tablePrefix, queuePrefix, rlPrefix },
    stop: async ({ keepData = false } = {}) => {
      await stack.stop();
      if (!keepData && reuse === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What makes a test stack its own deployment: pass it back to start the same one again (a restart). */
export interface TestStackIdentity {
  readonly dataDir: string;
  readonly logPrefix: string;
  readonly kafkaGroupPrefix: string;
  readonly tablePrefix: string;
  readonly queuePrefix: string;
  readonly rlPrefix: string;
}

export async function api<T = unknown>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text === '' ? undefined : JSON.parse(text)) as T };
}

/**
 * Creates an election through the edge as an admin (expects 201) and, unless `open` is false,
 * opens it (expects 200). Options default to a, b, c; `extra` adds body fields. Returns its id.
 */
export async function createElection(
  s: TestStack,
  { id = randomName('e'), options = ['a', 'b', 'c'], extra = {}, open = true }: ElectionSpec = {},
): Promise<string> {
  const admin = await s.adminToken();
  const body = { id, title: id, options: options.map((o) => ({ id: o, label: o })), ...extra };
  expect((await api(s.gateway, 'POST', '/v1/elections', admin, body)).status).toBe(201);
  if (open) expect((await api(s.gateway, 'POST', `/v1/elections/${id}/open`, admin)).status).toBe(200);
  return id;
}

/** The official result, read through the edge once the recount has published it (`final: true`). */
export function officialResult(s: Pick<TestStack, 'gateway'>, electionId: string, timeoutMs: number): Promise<ResultsSnapshot> {
  return eventually(
    'official result',
    async () => {
      const r = await api<ResultsSnapshot>(s.gateway, 'GET', `/v1/elections/${electionId}/results`);
      return r.json.final ? r.json : undefined;
    },
    timeoutMs,
  );
}

export interface ElectionSpec {
  readonly id?: string;
  readonly options?: readonly string[];
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly open?: boolean;
}

/** Votes as an ingest with a stale election cache appends them (after the close): one per user, all for `optionId`. */
export const staleVotes = (electionId: string, userIds: readonly string[], optionId = 'a') =>
  userIds.map((userId) => ({ voteId: randomUUID(), electionId, userId, optionId, acceptedAt: Date.now() }));

/**
 * The stack's Redis log opened from outside its processes, signed with the stack's own key: what
 * it appends is what a (stale) ingest of this deployment would append.
 */
export async function openStackLog(s: TestStack, partitions: number): Promise<VoteLog> {
  const config = {
    URNA_LOG: 'redis' as const,
    URNA_LOG_PREFIX: s.logPrefix,
    URNA_LOG_PARTITIONS: partitions,
    URNA_LOG_SIGNING_KEY: Buffer.from(s.stack.env.URNA_LOG_SIGNING_KEY as string, 'base64url'),
    URNA_LOG_SIGNING_KEY_ID: 'k1',
  };
  return openVoteLog(config as Parameters<typeof openVoteLog>[0], 'ingest', {
    redis: () => new Redis(s.stack.urls.redis),
    connect: () => new Redis(s.stack.urls.redis),
  });
}
