import { Redis } from 'ioredis';
import { openVoteLog, type LogConfig } from '@urna/log';
import { createDynamoClient, tableNames, VoteStore } from '@urna/store';
import { LiveTally } from '@urna/tally';
import { verifyExport } from '../verify/verify-export.ts';
import type { ElectionFinalState, LogVote } from './checker.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ReadFinalOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly gateway: string;
  readonly elections: ReadonlyArray<{ readonly id: string; readonly options: readonly string[] }>;
  /** Consumer group of the checker's own read of the log (a new group reads it from the start). */
  readonly group: string;
  /** Run `urna verify` on each election's export (the stack runs the transparency projection). */
  readonly verify?: boolean;
  /**
   * How long, for all elections together, the published reconciliations may take to account for
   * every record the DynamoDB fold holds (a late vote is re-reconciled within a tick of the
   * recount's late-entries watch), and the exports to verify.
   */
  readonly settleMs?: number;
}

type Official = ElectionFinalState['official'];

/** The published reconciliation, once it accounts for `accepted` records (or the last one seen at the deadline). */
async function settledReconciliation(gateway: string, electionId: string, accepted: number, deadline: number): Promise<Official> {
  for (;;) {
    const response = await fetch(`${gateway}/v1/elections/${electionId}/reconciliation`);
    const official = response.status === 200 ? ((await response.json()) as Official) : (await response.body?.cancel(), undefined);
    if ((official !== undefined && official.accepted === accepted) || Date.now() > deadline) return official;
    await sleep(500);
  }
}

/**
 * `urna verify` on the served export, retried until it agrees with `accepted` leaves or the
 * deadline passes. An export never served (its final checkpoints were not cut: the
 * transparency projection is behind or stopped) is `unavailable`, told apart from a verifier
 * that disagrees.
 */
async function verifiedExport(
  gateway: string,
  electionId: string,
  accepted: number,
  key: string | undefined,
  deadline: number,
): Promise<NonNullable<ElectionFinalState['verified']>> {
  const url = `${gateway}/v1/elections/${electionId}/export`;
  for (;;) {
    let outcome: NonNullable<ElectionFinalState['verified']>;
    const head = await fetch(url, { method: 'HEAD' }).catch(() => undefined);
    if (head?.status !== 200) {
      outcome = { ok: false, unavailable: true, message: `the export is not served (${head?.status ?? 'no answer'})` };
    } else {
      try {
        const r = await verifyExport(url, { threads: 1, ...(key === undefined ? {} : { key }) });
        outcome = r.ok ? { ok: true, ...r.totals } : { ok: false, message: r.discrepancy.message };
      } catch (error) {
        outcome = { ok: false, message: (error as Error).message };
      }
    }
    if ((outcome.ok && outcome.accepted === accepted) || Date.now() > deadline) return outcome;
    await sleep(1_000);
  }
}

/**
 * Everything the checker compares, read after healing and draining: the log itself (through a
 * fresh consumer group of the checker's, so from the first record), the DynamoDB fold, the
 * live read model's raw counts, and the published reconciliation.
 */
export async function readFinalState(options: ReadFinalOptions): Promise<ElectionFinalState[]> {
  const env = options.env;
  const partitions = Number(env.URNA_LOG_PARTITIONS ?? '16');
  const config = {
    URNA_LOG: env.URNA_LOG === 'kafka' ? 'kafka' : 'redis',
    URNA_KAFKA_BROKERS: env.URNA_KAFKA_BROKERS?.split(','),
    URNA_KAFKA_TOPIC: env.URNA_KAFKA_TOPIC ?? 'urna.votes',
    URNA_KAFKA_CLIENT_ID: 'urna-chaos-checker',
    URNA_KAFKA_LINGER_MS: 2,
    URNA_KAFKA_MESSAGE_TIMEOUT_MS: 10_000,
    URNA_KAFKA_SESSION_TIMEOUT_MS: 10_000,
    URNA_KAFKA_FETCH_MAX_WAIT_MS: 50,
    URNA_KAFKA_COMPRESSION: 'lz4',
    URNA_KAFKA_SECURITY_PROTOCOL: 'plaintext',
    URNA_LOG_PARTITIONS: partitions,
    URNA_LOG_PREFIX: env.URNA_LOG_PREFIX ?? 'urna:votes',
    // the checker reads the log as a projection does: records without a valid signature are not votes
    URNA_LOG_SIGNING_KEY: env.URNA_LOG_SIGNING_KEY === undefined ? undefined : Buffer.from(env.URNA_LOG_SIGNING_KEY, 'base64url'),
    URNA_LOG_SIGNING_KEY_ID: env.URNA_LOG_SIGNING_KEY_ID ?? 'k1',
  } as LogConfig;
  const redisUrl = env.URNA_REDIS_URL as string;
  const log = await openVoteLog(config, 'worker', { redis: () => new Redis(redisUrl), connect: () => new Redis(redisUrl) });
  const wanted = new Set(options.elections.map((e) => e.id));
  const votes = new Map<string, Map<string, LogVote>>();
  const markers = new Map<string, Map<number, string>>();
  let seen = 0;
  const consumer = await log.consume({ group: options.group, consumer: 'checker', batchSize: 2_000 }, async (records, closes) => {
    seen += records.length + closes.length;
    for (const r of records) {
      if (!wanted.has(r.vote.electionId)) continue;
      const byPosition = votes.get(r.vote.electionId) ?? new Map<string, LogVote>();
      // a redelivered record is the same (partition, position)
      byPosition.set(`${r.partition}:${r.position}`, {
        voteId: r.vote.voteId,
        userId: r.vote.userId,
        optionId: r.vote.optionId,
        partition: r.partition,
        position: r.position,
      });
      votes.set(r.vote.electionId, byPosition);
    }
    for (const m of closes) {
      const byPartition = markers.get(m.marker.electionId) ?? new Map<number, string>();
      const current = byPartition.get(m.partition);
      if (current === undefined || m.position < current) byPartition.set(m.partition, m.position);
      markers.set(m.marker.electionId, byPartition);
    }
  });
  // read until the group has nothing undelivered or pending and nothing moved for a while
  for (let quiet = 0, last = -1; quiet < 3;) {
    await sleep(1_000);
    const backlog = await log.backlog(options.group).catch(() => ({ undelivered: 1, pending: 1 }));
    quiet = backlog.undelivered === 0 && backlog.pending === 0 && seen === last ? quiet + 1 : 0;
    last = seen;
  }
  await consumer.stop();
  await log.close();

  const dynamo = createDynamoClient({ endpoint: env.URNA_DYNAMODB_ENDPOINT as string, region: env.URNA_AWS_REGION ?? 'local' });
  const store = new VoteStore({
    client: dynamo,
    table: tableNames(env.URNA_TABLE_PREFIX ?? 'urna_').votes,
    logPartitions: partitions,
    ...(env.URNA_STORE_SHARDS === undefined ? {} : { shards: Number(env.URNA_STORE_SHARDS) }),
  });
  const redis = new Redis(redisUrl);
  const live = new LiveTally({ redis, buckets: Number(env.URNA_TALLY_BUCKETS ?? '65536') });
  const out: ElectionFinalState[] = [];
  const deadline = Date.now() + (options.settleMs ?? 30_000);
  try {
    for (const election of options.elections) {
      const counted: Array<{ voteId: string; userId: string }> = [];
      const fold = await store.tally(election.id, (v) => counted.push({ voteId: v.voteId, userId: v.userId }));
      const liveResults = await live.results(election.id, { raw: true });
      const official = await settledReconciliation(options.gateway, election.id, fold.accepted, deadline);
      const verified =
        options.verify === true
          ? await verifiedExport(options.gateway, election.id, fold.accepted - fold.forged, env.URNA_TRANSPARENCY_VKEY, deadline)
          : undefined;
      out.push({
        electionId: election.id,
        options: election.options,
        logVotes: [...(votes.get(election.id)?.values() ?? [])],
        markers: markers.get(election.id) ?? new Map(),
        store: { counts: fold.counts, accepted: fold.accepted, duplicates: fold.duplicates, afterClose: fold.afterClose, counted },
        live: liveResults?.counts,
        official,
        ...(verified === undefined ? {} : { verified }),
      });
    }
  } finally {
    redis.disconnect();
    dynamo.destroy();
  }
  return out;
}
