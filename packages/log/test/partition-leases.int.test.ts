import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { delay, isCloseMarker, type LoggedCloseMarker, type LoggedVote } from '@urna/domain';
import { PartitionLeases, RedisStreamsLog, type RunningConsumer } from '../src/index.ts';
import { RedisStreamsConsumer } from '../src/redis-streams-consumer.ts';
import { eventually, randomName } from '../../../test/helpers.ts';

const url = inject('redisUrl');
const connections: Redis[] = [];
const connect = () => {
  const c = new Redis(url, { maxRetriesPerRequest: null });
  connections.push(c);
  return c;
};
afterAll(() => {
  for (const c of connections) c.disconnect();
});

/** Who holds each partition's lease right now (undefined: nobody). */
async function owners(redis: Redis, leases: PartitionLeases, partitions: number): Promise<Array<string | undefined>> {
  const values = await Promise.all(Array.from({ length: partitions }, (_, p) => redis.get(leases.leaseKey(p))));
  return values.map((v) => v?.split('|')[0]);
}

describe('partition leases on the Redis log', () => {
  it('members share the partitions fairly, exactly one owner each; a dead member’s move within the lease time; a restarted member takes its own back at once', async () => {
    const prefix = randomName('test:leases');
    const group = randomName('g');
    const leaseMs = 900;
    const owned = new Map<string, readonly number[]>();
    const member = (name: string, redis = connect()) =>
      new PartitionLeases({
        redis,
        prefix,
        group,
        member: name,
        partitions: 8,
        leaseMs,
        onChange: (now) => void owned.set(name, now),
        onError: () => undefined,
      });
    const probe = connect();
    const deadConnection = connect();
    const a = member('a', deadConnection);
    const b = member('b');
    const c = member('c');
    await Promise.all([a.start(), b.start(), c.start()]);
    await eventually('balanced over three members', async () => {
      const now = await owners(probe, a, 8);
      const counts = ['a', 'b', 'c'].map((m) => now.filter((o) => o === m).length).sort();
      return now.every((o) => o !== undefined) && counts.join() === '2,3,3' ? now : undefined;
    });

    deadConnection.disconnect(); // a dies: it renews nothing more
    await eventually('a’s partitions moved to b and c', async () => {
      const now = await owners(probe, a, 8);
      return now.every((o) => o === 'b' || o === 'c') && now.filter((o) => o === 'b').length === 4 ? now : undefined;
    });

    await c.stop(); // a clean stop hands over at once
    await eventually('b holds all', async () => ((await owners(probe, a, 8)).every((o) => o === 'b') ? true : undefined));

    const restartedB = member('b'); // b restarted under its own name: no wait for its old leases
    const before = Date.now();
    await restartedB.start();
    expect(restartedB.owned()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Date.now() - before).toBeLessThan(leaseMs);
    await Promise.all([b.stop(), restartedB.stop()]);
  }, 30_000);

  it('records left pending when a lease lapsed locally are applied before anything read after them (the prefetch is read again, in order)', async () => {
    const prefix = randomName('test:votes');
    const writer = new RedisStreamsLog({ redis: connect(), connect, partitions: 1, prefix });
    const group = randomName('g');
    await writer.ensureGroup(group, [writer.streamKey(0)]);
    for (let i = 0; i < 20; i++) await writer.append([{ voteId: `v${i}`, electionId: 'e', userId: 'u', optionId: 'a', acceptedAt: i }]);
    let lapses = 1; // the first batch finds its lease lapsed (a stalled event loop), then it is renewed
    const applied: string[] = [];
    const consumer = new RedisStreamsConsumer(
      connect(),
      { group, consumer: 'c1', batchSize: 5, blockMs: 50, claimIdleMs: 60_000 },
      new Map([[writer.streamKey(0), 0]]),
      async (records: readonly LoggedVote[]) => {
        await delay(50); // time for the prefetch to read the next records
        applied.push(...records.map((r) => r.vote.voteId));
      },
      { initial: [0], holds: () => lapses-- <= 0 },
    );
    consumer.start();
    await eventually('all applied', async () => (new Set(applied).size === 20 ? true : undefined), 10_000);
    await consumer.stop();
    const firsts = [...new Set(applied)];
    expect(firsts).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it('a close marker is never passed while an earlier record of its partition waits with a paused member; nothing is lost', async () => {
    const partitions = 4;
    const prefix = randomName('test:votes');
    const group = randomName('g');
    const election = randomName('e');
    const writer = new RedisStreamsLog({ redis: connect(), connect, partitions, prefix });
    const applied = new Map<number, Set<string>>(); // partition -> vote positions applied by anyone
    const violations: string[] = [];
    const markersPassed = new Set<number>();
    const votes: LoggedVote[] = [];
    const handler =
      (name: string, paused: { on: boolean }) => async (records: readonly LoggedVote[], markers: readonly LoggedCloseMarker[]) => {
        if (paused.on) await new Promise(() => undefined); // a SIGSTOPped process: never resumes
        for (const r of records) {
          const set = applied.get(r.partition) ?? new Set<string>();
          set.add(r.position);
          applied.set(r.partition, set);
        }
        for (const m of markers) {
          const missing = votes.filter(
            (v) => v.partition === m.partition && v.position < m.position && !applied.get(m.partition)?.has(v.position),
          );
          if (missing.length > 0)
            violations.push(`${name} passed the marker of partition ${m.partition} with ${missing.length} earlier votes unapplied`);
          markersPassed.add(m.partition);
        }
        await delay(5);
      };
    const members: RunningConsumer[] = [];
    const pausedA = { on: false };
    const start = async (name: string, paused: { on: boolean }, redis: Redis) => {
      const log = new RedisStreamsLog({ redis, connect, partitions, prefix });
      members.push(
        await log.consume({ group, consumer: name, batchSize: 20, blockMs: 50, claimIdleMs: 60_000, leaseMs: 600 }, handler(name, paused)),
      );
    };
    const aConnection = connect();
    await start('a', pausedA, aConnection);
    for (let i = 0; i < 300; i++)
      votes.push(...(await writer.append([{ voteId: `v${i}`, electionId: election, userId: `u${i}`, optionId: 'x', acceptedAt: i }])));
    await start('b', { on: false }, connect());
    pausedA.on = true; // a stops mid-stream, holding whatever it read; its leases lapse
    aConnection.disconnect();
    for (let i = 300; i < 600; i++)
      votes.push(...(await writer.append([{ voteId: `v${i}`, electionId: election, userId: `u${i}`, optionId: 'x', acceptedAt: i }])));
    const markers = await writer.appendCloseMarker(election, Date.now());
    expect(markers.every(isCloseMarker)).toBe(true);
    await eventually('every marker passed', async () => (markersPassed.size === partitions ? true : undefined), 20_000);
    expect(violations).toEqual([]);
    const appliedCount = [...applied.values()].reduce((n, set) => n + set.size, 0);
    expect(appliedCount).toBe(votes.length);
    await Promise.all(members.slice(1).map((m) => m.stop()));
  }, 40_000);
});
