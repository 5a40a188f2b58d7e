import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { KafkaCluster } from '@urna/embedded/kafka';
import type { RunningConsumer } from '@urna/log';
import { KafkaLog } from '@urna/log/kafka';
import { LiveTally } from '@urna/tally';
import type { LoggedVote, Vote } from '@urna/domain';
import { partitionOf } from '@urna/domain';
import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { createElection, startTestStack } from './stack.ts';
import { eventually, nonZero, randomName, waitDrained, stormVotes } from './helpers.ts';

/*
 * Broker failures on a cluster of this file's own (three KRaft nodes, each broker + controller;
 * RF 3, min.insync.replicas 2, unclean election off), so killing brokers cannot disturb the
 * suites running on the run's shared cluster. Skipped with URNA_TEST_KAFKA_BROKERS: an
 * external cluster's brokers are not ours to kill.
 */
const external = (process.env.URNA_TEST_KAFKA_BROKERS ?? '') !== '';
const redis = new Redis(inject('redisUrl'));
const tally = new LiveTally({ redis });
let cluster: KafkaCluster;
let dir: string;
/** What the running test opened (logs, consumers, the stack), closed when that test ends. */
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (external) return;
  dir = mkdtempSync(join(tmpdir(), 'urna-kafka-faults-'));
  cluster = await KafkaCluster.start({ dataDir: dir, nodes: 3 });
  await tally.loadScripts();
}, 180_000);
// Each test closes its own clients at its end, so no consumer group of an earlier test is still
// in this process (rejoining, or fenced and joining again) while a later test kills brokers.
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  redis.disconnect();
}, 60_000);

const newVotes = (electionId: string, n: number): Vote[] =>
  Array.from({ length: n }, () => ({ voteId: randomUUID(), electionId, userId: randomName('u'), optionId: 'a', acceptedAt: Date.now() }));

async function openLog(topic: string, messageTimeoutMs: number): Promise<KafkaLog> {
  await cluster.createTopic(topic, 4);
  const log = await KafkaLog.connect({
    brokers: cluster.brokers,
    clientId: 'urna-faults',
    topic,
    partitions: 4,
    messageTimeoutMs,
    sessionTimeoutMs: 6_000,
  });
  cleanups.push(() => log.close());
  return log;
}

/** A consumer group applying to the live tally; resolves once it has drained the whole topic. */
async function project(log: KafkaLog, group: string): Promise<{ drained: () => Promise<void>; seen: Set<string> }> {
  const seen = new Set<string>();
  const running: RunningConsumer = await log.consume(
    { group, consumer: randomName('c'), batchSize: 100 },
    async (records: readonly LoggedVote[]) => {
      await tally.apply(records);
      for (const r of records) seen.add(r.vote.voteId);
    },
  );
  cleanups.push(() => running.stop());
  return {
    seen,
    drained: async () => {
      await eventually(
        `group ${group} drained`,
        async () => {
          const b = await log.backlog(group);
          return b.undelivered + b.pending === 0 ? true : undefined;
        },
        90_000,
      );
    },
  };
}

describe.skipIf(external)('Kafka broker failures (own 3-node cluster)', () => {
  it('two of three brokers down: appends answer LOG_UNAVAILABLE (503) within the message timeout, never 202; nothing acknowledged is lost when they return', async () => {
    const electionId = randomName('e');
    const log = await openLog(randomName('test.down2'), 5_000);
    const acked: Vote[] = [];
    const before = newVotes(electionId, 300);
    await log.append(before);
    acked.push(...before);

    await Promise.all([cluster.kill9(1), cluster.kill9(2)]);
    const started = Date.now();
    const refused = await log.append(newVotes(electionId, 50)).then(
      () => undefined,
      (error: unknown) => error,
    );
    const elapsed = Date.now() - started;
    // min.insync.replicas=2 holds: with one broker left no write is acknowledged
    expect(refused).toMatchObject({ code: 'LOG_UNAVAILABLE', status: 503, retriable: true });
    expect(elapsed).toBeLessThan(5_000 + 3_000);

    await Promise.all([cluster.restart(1), cluster.restart(2)]);
    const after = newVotes(electionId, 300);
    await eventually(
      'appends work again',
      async () =>
        await log.append(after).then(
          () => true,
          () => undefined,
        ),
      60_000,
    );
    acked.push(...after);

    const { drained, seen } = await project(log, randomName('g'));
    await drained();
    expect(acked.filter((v) => !seen.has(v.voteId))).toEqual([]);
    // the refused votes may or may not have been stored (a 503 promises nothing); each user counts once
    const total = (await tally.results(electionId))?.total ?? 0;
    expect(total).toBeGreaterThanOrEqual(acked.length);
    expect(total).toBeLessThanOrEqual(acked.length + 50);
  }, 240_000);

  it('a broker paused (SIGSTOP) past the broker and consumer session timeouts, then resumed: no vote lost or counted twice', async () => {
    const electionId = randomName('e');
    const topic = randomName('test.paused');
    const log = await openLog(topic, 10_000);
    const { drained, seen } = await project(log, randomName('g'));
    const acked: Vote[] = [];
    let failures = 0;
    let stop = false;
    // a steady stream of appends; a refused batch is retried as it was (same voteIds, same users)
    const producing = (async () => {
      while (!stop) {
        const batch = newVotes(electionId, 20);
        for (;;) {
          try {
            await log.append(batch);
            acked.push(...batch);
            break;
          } catch {
            failures++;
          }
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await eventually('some votes counted', async () => (seen.size > 200 ? true : undefined), 30_000);
    const paused = (await cluster.leaders(topic))[0] ?? 1;
    cluster.pause(paused);
    await new Promise((r) => setTimeout(r, 10_000)); // > broker.session.timeout.ms (4 s) and the group's 6 s
    cluster.resume(paused);
    await new Promise((r) => setTimeout(r, 3_000));
    stop = true;
    await producing;
    await drained();

    expect(acked.length).toBeGreaterThan(200);
    expect(acked.filter((v) => !seen.has(v.voteId))).toEqual([]);
    expect((await tally.results(electionId))?.total).toBe(acked.length);
    console.log(`paused node ${paused} for 10 s: ${acked.length} votes acknowledged, ${failures} append batches refused and retried`);
  }, 240_000);

  // The whole stack as `npm start` runs it, on this cluster. The leader of the partition that
  // receives the most votes is SIGKILLed, restarted, and then its successor too. Appends in
  // flight wait for the new leader (or answer 503 after URNA_KAFKA_MESSAGE_TIMEOUT_MS; the
  // client retries, as a voter's page does); every vote that got a 202 counts exactly once.
  it("20,000 votes from 18,000 users while the busiest partition's leader is SIGKILLed twice and restarted: every 202 counted once in Redis and DynamoDB", async () => {
    const topic = randomName('test.storm');
    await cluster.createTopic(topic, 4);
    const s = await startTestStack({
      URNA_LOG: 'kafka',
      URNA_KAFKA_BROKERS: cluster.bootstrapServers,
      URNA_KAFKA_TOPIC: topic,
      URNA_LOG_PARTITIONS: '4',
      URNA_KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    cleanups.push(() => s.stop());
    const log = await KafkaLog.connect({
      brokers: cluster.brokers,
      clientId: 'urna-test',
      topic,
      partitions: 4,
      groupPrefix: s.kafkaGroupPrefix,
    });
    cleanups.push(() => log.close());
    const store = new VoteStore({
      client: createDynamoClient({ endpoint: inject('dynamoEndpoint') }),
      table: tableNames(s.tablePrefix).votes,
      logPartitions: 4,
    });

    const id = await createElection(s);
    const { order } = stormVotes('storm-user');
    const perPartition = [0, 0, 0, 0];
    for (const v of order) perPartition[partitionOf(v.userId, 4)]!++;
    const busiest = perPartition.indexOf(Math.max(...perPartition));

    // the fault schedule, by votes answered: kill the busiest partition's leader, restart it, kill the new leader, restart it
    const killed: number[] = [];
    let faults: Promise<void> = Promise.resolve();
    const killLeader = async () => {
      const leader = (await cluster.leaders(topic))[busiest]!;
      killed.push(leader);
      await cluster.kill9(leader);
    };
    const restartLast = async () => cluster.restart(killed.at(-1)!);
    const schedule = new Map<number, () => Promise<void>>([
      [3_000, killLeader],
      [7_000, restartLast],
      [11_000, killLeader],
      [15_000, restartLast],
    ]);

    const statuses = new Array<number>(order.length);
    let unavailable = 0;
    let dropped = 0;
    let next = 0;
    let done = 0;
    const tokens = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 48 }, async () => {
        while (next < order.length) {
          const i = next++;
          const v = order[i]!;
          const token = tokens.get(v.userId) ?? s.voterToken(v.userId);
          tokens.set(v.userId, token);
          for (let attempt = 0; attempt < 8; attempt++) {
            let response: Response;
            try {
              response = await fetch(`${s.gateway}/v1/elections/${id}/votes`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ optionId: v.optionId }),
              });
            } catch {
              // a kept-alive connection the gateway closed as this request went out (no service
              // restarted: checked below); the vote may or may not be in: retrying is safe
              dropped++;
              continue;
            }
            const body = (await response.json()) as { error?: { code: string } };
            statuses[i] = response.status;
            if (response.status !== 503) break;
            expect(body.error?.code).toBe('LOG_UNAVAILABLE');
            unavailable++;
            await new Promise((r) => setTimeout(r, 200));
          }
          const step = schedule.get(++done);
          if (step !== undefined) faults = faults.then(step);
        }
      }),
    );
    await faults;
    expect(killed).toHaveLength(2);

    expect(statuses.filter((st) => st !== 202)).toEqual([]);
    await waitDrained(log, 180_000);
    const live = await tally.results(id);
    const stored = await store.tally(id);
    expect(live?.total).toBe(18_000);
    expect(stored.total).toBe(18_000);
    // every 202 is in the store; a 503 whose vote the log kept anyway adds a duplicate, never a count
    expect(stored.accepted).toBeGreaterThanOrEqual(20_000);
    expect(stored.accepted).toBeLessThanOrEqual(20_000 + unavailable + dropped);
    // no service crashed or was restarted by its supervisor while brokers died
    for (const name of ['ingest', 'edge', 'tally-live', 'tally-store']) expect(s.stack.services.get(name)?.restartCount, name).toBe(0);
    expect(nonZero(live?.counts)).toEqual(stored.counts);
    console.log(
      `storm: killed nodes ${killed.join(', ')} (leaders of partition ${busiest}); ${unavailable} answers were 503 and retried, ${dropped} connections dropped and retried; ${stored.accepted} votes stored`,
    );
  }, 420_000);
});
