/**
 * Many processes per service (issue 15): 2 ingest and 2 results-sse behind the edge's upstream
 * pools, 2 workers of each of the live and store projections on the Redis log, sharing the
 * partitions through leases under stable names. A storm through the edge, with one live worker
 * SIGKILLed mid-way, is counted exactly once in both projections, both SSE nodes stream the final
 * total, and both ingest processes took their share. (The static split used with leases off is
 * covered by test/launcher-processes.unit.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStreamsLog } from '@urna/log';
import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { LiveTally, type ResultsSnapshot } from '@urna/tally';
import { GROUPS } from '@urna/tally-worker';
import { api, createElection, startTestStack, type TestStack, officialResult } from './stack.ts';
import { eventually, nonZero, waitDrained } from './helpers.ts';
import { SseClient } from './sse-client.ts';

const PARTITIONS = 8;
const redis = new Redis(inject('redisUrl'));
const tally = new LiveTally({ redis });
let s: TestStack;
let log: RedisStreamsLog;
let store: VoteStore;

beforeAll(async () => {
  s = await startTestStack({
    URNA_LOG: 'redis',
    URNA_LOG_PARTITIONS: String(PARTITIONS),
    URNA_INGEST_PROCESSES: '2',
    URNA_RESULTS_PROCESSES: '2',
    URNA_TALLY_LIVE_PROCESSES: '2',
    URNA_TALLY_STORE_PROCESSES: '2',
    URNA_RECOUNT_PROCESSES: '2',
    // repeated votes of one user must reach the log (the one-vote rule is under test, not the limit)
    URNA_RL_USER_VOTES: '1000',
    URNA_WORKER_LEASE_MS: '3000',
  });
  log = new RedisStreamsLog({ redis, connect: () => redis.duplicate(), partitions: PARTITIONS, prefix: s.logPrefix });
  store = new VoteStore({
    client: createDynamoClient({ endpoint: inject('dynamoEndpoint') }),
    table: tableNames(s.tablePrefix).votes,
    logPartitions: PARTITIONS,
  });
});
afterAll(async () => {
  await log?.close();
  await s?.stop();
  redis.disconnect();
});

/** The member holding each partition's lease of a projection's group (undefined: none). */
const leaseOwners = (group: string): Promise<Array<string | undefined>> =>
  Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await redis.get(`${s.logPrefix}:lease:{${group}}:${p}`))?.split('|')[0]));
const sharesOf = (owners: Array<string | undefined>): Record<string, number> =>
  owners.reduce<Record<string, number>>((acc, o) => ({ ...acc, [String(o)]: (acc[String(o)] ?? 0) + 1 }), {});

const acceptedBy = async (node: string): Promise<number> => {
  const text = await (await fetch(`${node}/metrics`)).text();
  return Number(/^urna_votes_accepted_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 'NaN');
};

describe('many processes per service behind the edge', () => {
  it('runs 2 ingest, 2 results-sse, 2 lifecycle (recount) and 2 workers per projection, the workers under stable names and no static partition list', () => {
    const names = [...s.stack.services.keys()];
    for (const name of [
      'ingest',
      'ingest-2',
      'results-sse',
      'results-sse-2',
      'tally-live',
      'tally-live-2',
      'tally-store',
      'tally-store-2',
      'recount',
      'recount-2',
    ])
      expect(names).toContain(name);
    expect(names).not.toContain('ingest-3');
    expect(s.stack.nodes.ingest).toHaveLength(2);
    expect(new Set([...s.stack.nodes.ingest, ...s.stack.nodes['results-sse'], ...s.stack.nodes.recount]).size).toBe(6);
    const env = (name: string) => s.stack.services.get(name)?.spec.env ?? {};
    expect([env('tally-live').URNA_WORKER_PARTITIONS, env('tally-live-2').URNA_WORKER_PARTITIONS]).toEqual([undefined, undefined]);
    expect([env('tally-live').URNA_WORKER_NAME, env('tally-live-2').URNA_WORKER_NAME]).toEqual(['live-1', 'live-2']);
    expect([env('tally-store').URNA_WORKER_NAME, env('tally-store-2').URNA_WORKER_NAME]).toEqual(['store-1', 'store-2']);
  });

  it('a storm through the edge, a live worker SIGKILLed mid-way: every 202 counted once, live == DynamoDB, fair lease shares, both SSE nodes stream it', async () => {
    const id = await createElection(s);
    const users = Array.from({ length: 2_000 }, (_, i) => `scale-user-${i}`);
    const votes = users.map((userId, i) => ({ userId, optionId: ['a', 'b', 'c'][i % 3]! }));
    for (let i = 0; i < 400; i++) votes.push({ userId: users[(i * 7919) % users.length]!, optionId: ['c', 'a', 'b'][i % 3]! });
    const sse = s.stack.nodes['results-sse'].map((node) => new SseClient(`${node}/v1/elections/${id}/results/stream`));

    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < votes.length) {
          const i = next++;
          if (i === 1_200) s.stack.services.get('tally-live-2')!.kill9();
          const v = votes[i]!;
          const response = await fetch(`${s.gateway}/v1/elections/${id}/votes`, {
            method: 'POST',
            headers: { authorization: `Bearer ${s.voterToken(v.userId)}`, 'content-type': 'application/json' },
            body: JSON.stringify({ optionId: v.optionId }),
          });
          await response.arrayBuffer();
          statuses[i] = response.status;
        }
      }),
    );
    expect(statuses.filter((st) => st !== 202)).toEqual([]);
    const acceptedUsers = new Set(votes.map((v) => v.userId)).size;

    await waitDrained(log, 60_000);
    const live = await tally.results(id);
    const stored = await store.tally(id);
    expect(live?.total).toBe(acceptedUsers);
    expect(stored.total).toBe(acceptedUsers);
    expect(stored.accepted).toBe(votes.length);
    expect(nonZero(live?.counts)).toEqual(stored.counts);
    expect(s.stack.services.get('tally-live-2')!.restartCount).toBeGreaterThanOrEqual(1);

    // each projection's two workers hold a fair share of the leases each, under their stable
    // names (the restarted live-2 came back as live-2, not as a new member)
    for (const [group, prefix] of [
      [GROUPS.live, 'live'],
      [GROUPS.store, 'store'],
    ] as const) {
      await eventually(
        `${group}: 4 partitions leased to each worker`,
        async () => {
          const shares = sharesOf(await leaseOwners(group));
          return shares[`${prefix}-1`] === 4 && shares[`${prefix}-2`] === 4 ? true : undefined;
        },
        30_000,
      );
    }

    // both results-sse nodes, addressed directly, stream the final total
    for (const [i, client] of sse.entries()) {
      await eventually(
        `SSE node ${i + 1} streams the final total`,
        async () => (client.latest<ResultsSnapshot>()?.total === acceptedUsers ? true : undefined),
        10_000,
      );
      expect(client.status).toBe(200);
      client.close();
    }

    // the edge spread the votes over both ingest processes
    const perIngest = await Promise.all(s.stack.nodes.ingest.map(acceptedBy));
    expect(perIngest.reduce((a, b) => a + b, 0)).toBe(votes.length);
    for (const n of perIngest) expect(n).toBeGreaterThanOrEqual(votes.length / 4);

    // two lifecycle processes behind the edge: the close lands on one of them, the recount job
    // (one BullMQ job id per election) runs once, and the official result is the live one
    const admin = await s.adminToken();
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    const official = await officialResult(s, id, 60_000);
    expect(nonZero(official.counts)).toEqual(stored.counts);
    const reconciliation = await api<{ liveMatched: boolean; accepted: number }>(s.gateway, 'GET', `/v1/elections/${id}/reconciliation`);
    expect(reconciliation.json).toMatchObject({ liveMatched: true, accepted: votes.length });
    for (const node of s.stack.nodes.recount)
      expect((await api(node, 'GET', `/v1/elections/${id}`)).json).toMatchObject({ status: 'closed' });
  }, 180_000);
});
