import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { RedisCluster, type RedisServer } from '@urna/embedded';
import { loadConfig, readModelRedis, sharedConfigShape } from '@urna/service-kit';
import { RedisStreamsLog } from '@urna/log';
import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { LiveTally } from '@urna/tally';
import { api, createElection, startTestStack, type TestStack } from './stack.ts';
import { eventually, nonZero, waitDrained, clusterKeySlot, stormVotes } from './helpers.ts';

/**
 * The failover test, through the whole stack: the read model, notices, rate limits and
 * BullMQ on a Redis Cluster of this file's own (3 primaries + 3 replicas: killing a primary
 * must not hurt other files), the log on the run's single redis-server (AOF, fsync always: the
 * log is not on the cluster, README "Redis Cluster"). 20,000 votes from 18,000 users go through
 * the edge; mid-storm the primary owning the election's slot is SIGKILLed and its replica
 * promoted. Replication is asynchronous, and a loss needs the replica to trail the primary at
 * the moment of the kill: the test makes that certain (as the crash tests make redelivery
 * certain) by cutting the replica's link to its primary ~1.5 s before the kill, so everything
 * the primary acknowledged meanwhile dies with it. The live tally then trails the log; the check
 * finds the gap and the test repairs it exactly as an operator would, with the lifecycle's
 * reprocess over the admin API.
 */
const LINK_CUT_MS = 1_500;
const redis = new Redis(inject('redisUrl'));
const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
const dir = mkdtempSync(join(tmpdir(), 'urna-failover-'));
let cluster: RedisCluster;
let readModel: Cluster;
let s: TestStack;

beforeAll(async () => {
  cluster = await RedisCluster.start({ dataDir: dir });
  const env = { URNA_LOG: 'redis', URNA_LOG_PARTITIONS: '8', URNA_REDIS_CLUSTER: cluster.seeds };
  readModel = (await readModelRedis(loadConfig(z.object(sharedConfigShape), env), 'patient')) as Cluster;
  // the one-vote rule under retries is the point: every retry must reach the log (no 429s)
  s = await startTestStack({ ...env, URNA_RL_USER_VOTES: '1000' });
}, 180_000);
afterAll(async () => {
  await s?.stop();
  readModel?.disconnect();
  redis.disconnect();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Redis Cluster primary SIGKILLed during a 20,000-vote storm through the whole stack', () => {
  it('after failover, drain and (when the check shows a gap) reprocess: live tally == DynamoDB == distinct users with a 202, every service up', async () => {
    const id = await createElection(s);
    const tally = new LiveTally({ redis: readModel });
    const store = new VoteStore({ client: dynamo, table: tableNames(s.tablePrefix).votes, logPartitions: 8 });
    const log = new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: 8, prefix: s.logPrefix });

    const { order } = stormVotes('fo-user');

    const victim = primaryOf(clusterKeySlot(tally.keys.meta(id)));
    const replica = await replicaOf(victim);
    let fault: Promise<void> | undefined;
    const startedAt = Date.now();
    const { statuses, retried } = await castAll(s, id, order, 48, (done) => {
      if (done === 6_000) fault = cutLinkThenKill(victim, replica);
    });
    const stormSeconds = (Date.now() - startedAt) / 1000;
    expect(fault).toBeDefined();
    await fault;
    expect(statuses.filter((st) => st !== 202)).toEqual([]);
    const acceptedUsers = new Set(order.filter((_, i) => statuses[i] === 202).map((v) => v.userId));
    expect(acceptedUsers.size).toBe(18_000);

    // the replica took the slot over; the killed node stays down
    await eventually(
      'the replica serves the slot',
      async () => ((await servingPort(clusterKeySlot(tally.keys.meta(id)))) === replica.port ? true : undefined),
      30_000,
    );
    await waitDrained(log);

    const stored = await store.tally(id);
    expect(stored.total).toBe(acceptedUsers.size);
    expect(stored.accepted).toBeGreaterThanOrEqual(20_000);
    const before = await tally.results(id);
    const gap = before?.total !== acceptedUsers.size || JSON.stringify(nonZero(before?.counts)) !== JSON.stringify(stored.counts);
    // the link cut makes the loss certain: the live model lost the writes the primary took alone
    expect(gap).toBe(true);
    let job: { state: string; result?: Record<string, unknown> } | undefined;
    if (gap) job = await reprocess(s, id);
    expect(job?.result).toMatchObject({ identical: false, counted: acceptedUsers.size });

    const after = await tally.results(id);
    expect(after?.total).toBe(acceptedUsers.size);
    expect(nonZero(after?.counts)).toEqual(stored.counts);
    expect(Object.values(stored.counts).reduce((a, b) => a + b, 0)).toBe(acceptedUsers.size); // none counted twice
    expect((await api<{ total: number }>(s.gateway, 'GET', `/v1/elections/${id}/results`)).json.total).toBe(acceptedUsers.size);
    // votes/me's read: every user with a 202 has exactly one counted vote (receipts written to the
    // dead primary are gone, but the rebuilt marker lists the counted vote)
    const countedPerUser = await mapLimit(
      [...acceptedUsers],
      32,
      async (user) => (await tally.receiptsOf(id, user)).filter((r) => r.status === 'counted').length,
    );
    expect(countedPerUser.filter((n) => n !== 1)).toEqual([]);

    // every service answers its health check; restarts (by the launcher's supervisor) are reported
    const restarts: Record<string, number> = {};
    for (const [name, service] of s.stack.services) {
      await service.waitHealthy(30_000);
      restarts[name] = service.restartCount;
    }
    console.log(
      `cluster failover: storm ${stormSeconds.toFixed(1)} s (${(20_000 / stormSeconds).toFixed(0)} votes/s), retried ${JSON.stringify(retried)}; ` +
        `live before reprocess total ${String(before?.total)} of ${acceptedUsers.size}; restarts ${JSON.stringify(restarts)}\n` +
        s.serviceLogs(['ingest', 'tally-live', 'recount'], 8),
    );
  }, 240_000);
});

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i] as T);
      }
    }),
  );
  return out;
}

/** Sends the storm through the edge with bounded concurrency; a 503 is retried (the voter's client does). */
async function castAll(
  stack: TestStack,
  electionId: string,
  votes: ReadonlyArray<{ userId: string; optionId: string }>,
  concurrency: number,
  onProgress: (done: number) => void,
): Promise<{ statuses: number[]; retried: Record<string, number> }> {
  const statuses = new Array<number>(votes.length);
  const retried: Record<string, number> = {};
  const tokens = new Map<string, string>();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < votes.length) {
        const i = next++;
        const v = votes[i]!;
        const token = tokens.get(v.userId) ?? stack.voterToken(v.userId);
        tokens.set(v.userId, token);
        for (let attempt = 0; ; attempt++) {
          const response = await fetch(`${stack.gateway}/v1/elections/${electionId}/votes`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ optionId: v.optionId }),
          });
          await response.arrayBuffer();
          statuses[i] = response.status;
          if (response.status !== 503 || attempt >= 40) break;
          retried[String(response.status)] = (retried[String(response.status)] ?? 0) + 1;
          await new Promise((r) => setTimeout(r, 250));
        }
        onProgress(++done);
      }
    }),
  );
  return { statuses, retried };
}

/**
 * Cuts the replica's replication link (a wrong masterauth, then its master connection killed:
 * it cannot reconnect), lets the primary acknowledge writes alone for LINK_CUT_MS, SIGKILLs the
 * primary and gives the replica its password back. The replica's data is then LINK_CUT_MS old,
 * well inside what it may fail over with (cluster-replica-validity-factor 10 × node timeout).
 */
async function cutLinkThenKill(victim: RedisServer, replica: RedisServer): Promise<void> {
  const node = new Redis({ port: replica.port, host: '127.0.0.1', password: cluster.password });
  try {
    await node.config('SET', 'masterauth', 'not-the-password');
    await node.client('KILL', 'TYPE', 'master');
    await new Promise((r) => setTimeout(r, LINK_CUT_MS));
    await victim.kill9();
    await node.config('SET', 'masterauth', cluster.password);
  } finally {
    node.disconnect();
  }
}

/** The admin's repair: `POST …/reprocess`, then the job polled until it completes. */
async function reprocess(stack: TestStack, electionId: string): Promise<{ state: string; result?: Record<string, unknown> }> {
  const admin = await stack.adminToken();
  const accepted = await api<{ jobId: string }>(stack.gateway, 'POST', `/v1/admin/elections/${electionId}/reprocess`, admin);
  expect(accepted.status).toBe(202);
  return eventually(
    'reprocess job completed',
    async () => {
      const job = await api<{ state: string; result?: Record<string, unknown> }>(
        stack.gateway,
        'GET',
        `/v1/admin/jobs/${accepted.json.jobId}`,
        admin,
      );
      expect(job.json.state).not.toBe('failed');
      return job.json.state === 'completed' ? job.json : undefined;
    },
    60_000,
  );
}

function primaryOf(slot: number): RedisServer {
  const owner = readModel.slots[slot]?.[0];
  const node = cluster.nodes.find((n) => owner !== undefined && owner.endsWith(`:${n.port}`));
  if (node === undefined) throw new Error(`no node owns slot ${slot}`);
  return node;
}

async function replicaOf(primary: RedisServer): Promise<RedisServer> {
  for (const node of cluster.nodes) {
    const client = new Redis({ port: node.port, host: '127.0.0.1', password: cluster.password });
    const info = await client.info('replication').finally(() => client.disconnect());
    if (new RegExp(`master_port:${primary.port}\\b`).test(info)) return node;
  }
  throw new Error(`no replica of ${primary.port}`);
}

/** The port serving a slot, as a surviving node's CLUSTER SLOTS says. */
async function servingPort(slot: number): Promise<number | undefined> {
  const ranges = await readModel.cluster('SLOTS');
  return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
}
