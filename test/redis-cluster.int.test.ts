import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { RedisCluster } from '@urna/embedded';
import { loadConfig, readModelRedis, sharedConfigShape } from '@urna/service-kit';
import { ElectionConfigs, LiveTally } from '@urna/tally';
import { RedisElectionLogs } from '@urna/transparency/redis';
import type { Election } from '@urna/domain';
import { z } from 'zod';
import { closeMarkers, makeLog } from './fixtures.ts';
import { eventually, randomName, clusterKeySlot } from './helpers.ts';

/**
 * The read model on a real Redis Cluster (3 primaries + 3 replicas of Debian's redis-server,
 * started here): every call that touches several keys (scripts, pipelines, transactions,
 * BullMQ) must stay in one slot, or the cluster answers CROSSSLOT.
 */
let cluster: RedisCluster;
let redis: Cluster;
const dir = mkdtempSync(join(tmpdir(), 'urna-cluster-'));

beforeAll(async () => {
  cluster = await RedisCluster.start({ dataDir: dir });
  const config = loadConfig(z.object(sharedConfigShape), { URNA_REDIS_CLUSTER: cluster.seeds });
  redis = (await readModelRedis(config, 'patient')) as Cluster;
});
afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('URNA_REDIS_CLUSTER', () => {
  it('connects to a cluster (ioredis Cluster), and a bad seed list is refused naming the key', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect(redis.nodes('master')).toHaveLength(3);
    expect(() => loadConfig(z.object(sharedConfigShape), { URNA_REDIS_CLUSTER: 'redis://:pw@127.0.0.1' })).toThrow(/URNA_REDIS_CLUSTER:/);
  });
});

describe('the live tally on a Redis Cluster', () => {
  const tally = () => new LiveTally({ redis, buckets: 64 });

  it('several elections (in different slots) in one batch: counted, close markers, forged records, accepted counts', async () => {
    const live = tally();
    const elections = Array.from({ length: 6 }, () => randomName('e'));
    for (const e of elections) await live.initElection(e, ['a', 'b']);
    const records = elections.flatMap((e) =>
      makeLog(e, [
        { userId: 'u1', optionId: 'a' },
        { userId: 'u2', optionId: 'b' },
        { userId: 'u1', optionId: 'b' },
      ]),
    );
    const markers = elections.flatMap((e) => closeMarkers(e, '000000000009'));
    const summary = await live.apply(records, markers);
    expect(summary).toMatchObject({ counted: 12, duplicates: 6 });
    await live.recordRejected(elections.map((e) => ({ vote: makeLog(e, [{ userId: 'x', optionId: 'a' }])[0]!, reason: 'forged' })));
    for (const e of elections) {
      expect((await live.results(e))?.counts).toEqual({ a: 1, b: 1 });
      expect((await live.closeMarkersPassed(e)).size).toBe(4);
      expect(await live.rejectedCounts(e)).toEqual({ forged: 1 });
      expect((await live.receiptsOf(e, 'u1')).map((r) => r.status)).toEqual(['counted']);
    }
    expect(await live.acceptedCounts(elections)).toEqual(elections.map(() => 3));
    const owners = new Set(elections.map((e) => nodeOf(live.keys.meta(e))));
    expect(owners.size).toBeGreaterThan(1); // 6 random elections on 3 primaries: not all on one (p = 1/243)
  });

  it('runs its scripts after every node forgot them (EVALSHA on the slot owner, EVAL on NOSCRIPT)', async () => {
    const live = tally();
    const e = randomName('e');
    await live.loadScripts();
    await Promise.all(redis.nodes('master').map((n) => n.script('FLUSH')));
    await live.apply(makeLog(e, [{ userId: 'u1', optionId: 'a' }]));
    await live.recordReceipts(makeLog(e, [{ userId: 'u1', optionId: 'a' }]));
    expect((await live.results(e))?.total).toBe(1);
  });

  it('publishes one notice per changing batch, received by a subscriber on any node', async () => {
    const live = tally();
    const e = randomName('e');
    const sub = redis.duplicate();
    const notices: string[] = [];
    sub.on('message', (_channel: string, message: string) => notices.push(message));
    await sub.subscribe(live.keys.channel(e));
    await live.apply(makeLog(e, [{ userId: 'u1', optionId: 'a' }]));
    await live.apply(makeLog(e, [{ userId: 'u1', optionId: 'a' }])); // a redelivery: no change, no notice
    await new Promise((r) => setTimeout(r, 200));
    expect(notices).toEqual(['1']);
    sub.disconnect();
  });
});

describe('a hot election split into sub-shards on a Redis Cluster', () => {
  it("10,000 votes: its keys span the 8 sub-shards' slots, and counts, accepted, receipts and close markers equal an unsharded tally of the same log", async () => {
    const sharded = new LiveTally({ redis, buckets: 256, subShards: 8 });
    const plain = new LiveTally({ redis, buckets: 256 });
    const [hot, flat] = [randomName('hot'), randomName('flat')];
    const entries = Array.from({ length: 10_000 }, (_, i) => ({
      userId: `voter-${i < 9_000 ? i : (i * 7_919) % 9_000}`,
      optionId: ['a', 'b', 'c'][i % 3] as string,
    }));
    const logs = { [hot]: makeLog(hot, entries), [flat]: makeLog(flat, entries) };
    const tallies: Array<[string, LiveTally]> = [
      [hot, sharded],
      [flat, plain],
    ];
    for (const [e, live] of tallies) {
      await live.initElection(e, ['a', 'b', 'c']);
      const log = logs[e] as ReturnType<typeof makeLog>;
      for (let i = 0; i < log.length; i += 500) {
        // the close marker rides with the last batch: its 300 votes after position 9,700 are after-close
        const markers = i + 500 >= log.length ? closeMarkers(e, '000000009700') : [];
        await live.apply(log.slice(i, i + 500), markers);
        if (i === 1_000) await live.apply(log.slice(i, i + 500)); // a redelivery changes nothing
      }
      await live.recordReceipts(log.slice(0, 2_000));
    }
    const [hotResults, flatResults] = await Promise.all([sharded.results(hot), plain.results(flat)]);
    expect(hotResults?.counts).toEqual(flatResults?.counts);
    expect(hotResults?.total).toBe(flatResults?.total);
    expect(hotResults?.total).toBeGreaterThan(8_000);
    expect(await sharded.acceptedCounts([hot])).toEqual(await plain.acceptedCounts([flat]));
    expect((await sharded.digest(hot)).counts).toEqual((await plain.digest(flat)).counts);
    for (const user of ['voter-0', 'voter-17', 'voter-8999', 'voter-1234'])
      expect((await sharded.receiptsOf(hot, user)).map((r) => r.status)).toEqual((await plain.receiptsOf(flat, user)).map((r) => r.status));

    const slots = new Set<number>();
    for (const node of redis.nodes('master')) for (const key of await node.keys(`*{${hot}*`)) slots.add(clusterKeySlot(key));
    expect(slots.size).toBeGreaterThanOrEqual(8);
    const flatSlots = new Set<number>();
    for (const node of redis.nodes('master')) for (const key of await node.keys(`*{${flat}}*`)) flatSlots.add(clusterKeySlot(key));
    expect(flatSlots.size).toBe(1);
  });
});

describe('election configs on a Redis Cluster', () => {
  it('put and list: config and index in one slot, one transaction and one MGET', async () => {
    const configs = new ElectionConfigs(redis, randomName('urna'));
    const make = (id: string, status: Election['status'], createdAt: string) =>
      ({ id, title: id, options: [{ id: 'a', label: 'a' }], status, createdAt }) as unknown as Election;
    await configs.put(make('one', 'open', '2026-01-01T00:00:00Z'));
    await configs.put(make('two', 'draft', '2026-01-02T00:00:00Z'));
    expect((await configs.list({ drafts: true })).map((e) => e.id)).toEqual(['one', 'two']);
    expect((await configs.list({ drafts: false })).map((e) => e.id)).toEqual(['one']);
    expect((await configs.get('two'))?.status).toBe('draft');
  });
});

describe('transparency logs on a Redis Cluster', () => {
  it('writes leaves ({<e>/<p>}) and the vote index ({<e>}) in one pipeline per tag', async () => {
    const logs = new RedisElectionLogs(redis, { prefix: randomName('urna:tlog') });
    const e = randomName('e');
    await logs.writeLeaves(e, 3, 0, [
      { leaf: 'first', voteId: 'v1' },
      { leaf: 'second', voteId: 'v2' },
    ]);
    expect(await logs.leaves(e, 3, 0, 2)).toEqual(['first', 'second']);
    expect(await logs.locateVote(e, 'v2')).toEqual({ partition: 3, index: 1 });
  });
});

describe('BullMQ on a Redis Cluster', () => {
  it('with its documented hash-tagged prefix a job is added, processed and completed', async () => {
    const prefix = `{${randomName('test-bull')}}`;
    const queue = new Queue('urna-lifecycle', { connection: redis, prefix });
    const worker = new Worker('urna-lifecycle', async (job) => `done ${String(job.data.n)}`, { connection: redis.duplicate(), prefix });
    try {
      await worker.waitUntilReady();
      const job = await queue.add('recount', { n: 7 }, { jobId: 'recount-x' });
      const done = await eventually('the job completed', async () => ((await job.getState()) === 'completed' ? true : undefined), 45_000);
      expect(done).toBe(true);
      expect((await queue.getJob('recount-x'))?.returnvalue).toBe('done 7');
    } finally {
      await worker.close();
      await queue.close();
    }
  }, 60_000);
});

describe('a primary SIGKILLed on a Redis Cluster', () => {
  // last in this file: it leaves one node dead (its replica took over)
  it('fails over to its replica mid-storm: the tally goes on, and a write lost with the primary is repaired by reprocess', async () => {
    const live = new LiveTally({ redis, buckets: 64, subShards: 4 });
    const e = randomName('storm');
    await live.initElection(e, ['a', 'b']);
    const log = makeLog(
      e,
      Array.from({ length: 4_000 }, (_, i) => ({ userId: `v-${i % 3_500}`, optionId: i % 2 === 0 ? 'a' : 'b' })),
    );
    const owner = nodeOf(live.keys.meta(e));
    const victim = cluster.nodes.find((n) => n.port === owner);
    expect(victim).toBeDefined();
    let killed = false;
    let refused = 0;
    for (let i = 0; i < log.length; i += 250) {
      if (i === 1_000) {
        await victim?.kill9();
        killed = true;
      }
      // the projection's contract: a batch whose apply failed is redelivered until it succeeds
      for (let attempt = 0; ; attempt++) {
        try {
          await live.apply(log.slice(i, i + 250));
          break;
        } catch (error) {
          refused++;
          if (attempt > 100) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    expect(killed).toBe(true);
    // the slot is now served by the victim's replica (applies were refused, CLUSTERDOWN, or held by the client meanwhile)
    const slot = clusterKeySlot(live.keys.meta(e));
    const ranges = await redis.cluster('SLOTS');
    const serving = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
    expect(serving).toBeDefined();
    expect(serving).not.toBe(owner);
    const expected = { a: 1_750, b: 1_750 };
    const after = await live.results(e);
    // asynchronous replication: a write the primary acknowledged but had not sent may be gone;
    // the lifecycle's reprocess rebuilds the live model from the history (here: the log's fold)
    const first = new Map<string, (typeof log)[number]>();
    for (const v of log) if (!first.has(v.vote.userId)) first.set(v.vote.userId, v);
    const counted = [...first.values()].map((v) => ({
      userId: v.vote.userId,
      optionId: v.vote.optionId,
      voteId: v.vote.voteId,
      position: v.position,
    }));
    const { after: rebuilt } = await live.rebuild(e, ['a', 'b'], counted, new Map());
    expect(rebuilt.counts).toEqual(expected);
    expect((await live.results(e))?.counts).toEqual(expected);
    console.log(`failover: ${refused} refused applies; live total before reprocess ${String(after?.total)} of 3500`);
  }, 120_000);
});

/** The port of the primary that owns a key's slot. */
function nodeOf(key: string): number | undefined {
  const slot = clusterKeySlot(key);
  const owner = redis.slots[slot]?.[0];
  return owner === undefined ? undefined : Number(owner.split(':').at(-1));
}
