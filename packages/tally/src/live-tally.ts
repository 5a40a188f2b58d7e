import type { Cluster, Redis } from 'ioredis';
import {
  idKeyed,
  isAfterClose,
  type ElectionStatus,
  type LoggedCloseMarker,
  type LoggedVote,
  type RejectReason,
  type ResultsVisibility,
  type VoteReceipt,
} from '@urna/domain';
import { TallyErrors } from './errors.ts';
import { KeyIndex, TallyKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';

export interface ResultsSnapshot {
  readonly electionId: string;
  readonly counts: Record<string, number>;
  readonly total: number;
  readonly version: number;
  /** The election's status as the lifecycle service last published it, so watchers learn of a close at once. */
  readonly status?: ElectionStatus;
  /** True once the official result (the recount) has replaced the live counts. */
  readonly final: boolean;
  /** Present when results are hidden: `counts` is then empty until final. */
  readonly visibility?: ResultsVisibility;
}

export interface LiveModelDigest {
  readonly counts: Record<string, number>;
  readonly total: number;
  readonly closeMarkers: Record<string, string>;
}

/** The official result as the recount writes it: counts in the election's option order. */
export interface OfficialResult {
  readonly electionId: string;
  readonly counts: Record<string, number>;
  readonly total: number;
}

export interface ApplySummary {
  counted: number;
  duplicates: number;
  replaced: number;
  redelivered: number;
  /** Votes after their partition's close marker: kept out of the counts. */
  afterClose: number;
}

export interface LiveTallyOptions {
  /** One redis-server or a Redis Cluster: every pipeline and script call here stays in one election's slot. */
  readonly redis: Redis | Cluster;
  /** Marker/receipt buckets per election; fixed for the life of the data. */
  readonly buckets?: number;
  readonly prefix?: string;
  /** Receipts expire this long after their last write (0 = never). */
  readonly receiptTtlSeconds?: number;
  /** Receipts kept per user per election (the earliest); bounds the Lua script's work per vote. */
  readonly maxReceiptsPerUser?: number;
  /** Sub-shards per election (URNA_TALLY_SUBSHARDS; fixed for the data's life): see TallyKeys. */
  readonly subShards?: number;
}

const applyVotes = new LuaScript('applyVotes-N');
const recordCloseMarkers = new LuaScript('recordCloseMarkers-1');
const appendReceipts = new LuaScript('appendReceipts-N');
const recordAfterCloseVotes = new LuaScript('recordAfterCloseVotes-2');
const repairMarkers = new LuaScript('repairMarkers-N');

/**
 * The live results read model in Redis: per-option counts, a version, per-user markers of the
 * counted vote, and voters' receipts. Writes are one EVALSHA per batch per election.
 */
export class LiveTally {
  readonly keys: TallyKeys;
  private readonly redis: Redis | Cluster;
  private readonly receiptTtl: number;
  private readonly maxReceipts: number;

  constructor(options: LiveTallyOptions) {
    this.redis = options.redis;
    this.keys = new TallyKeys(options.buckets ?? 65_536, options.prefix, options.subShards ?? 1);
    this.receiptTtl = options.receiptTtlSeconds ?? 0;
    this.maxReceipts = options.maxReceiptsPerUser ?? 32;
  }

  async loadScripts(): Promise<void> {
    await Promise.all([
      applyVotes.load(this.redis),
      appendReceipts.load(this.redis),
      recordCloseMarkers.load(this.redis),
      recordAfterCloseVotes.load(this.redis),
      repairMarkers.load(this.redis),
    ]);
  }

  /** Makes an election's results visible (all options at 0) before its first vote. Idempotent. */
  async initElection(electionId: string, optionIds: readonly string[], visibility: ResultsVisibility = 'live'): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const option of optionIds) pipeline.hsetnx(this.keys.counts(electionId), option, 0);
    pipeline.hsetnx(this.keys.meta(electionId), 'total', 0);
    pipeline.hsetnx(this.keys.meta(electionId), 'version', 0);
    if (visibility === 'hidden') pipeline.hset(this.keys.meta(electionId), 'visibility', 'hidden');
    await this.exec(pipeline);
  }

  /**
   * Publishes the official result and its reconciliation: one more version, so SSE watchers get
   * `event: final`. Publishing the same bytes again changes nothing (not even the version).
   */
  async publishOfficial(electionId: string, official: string, reconciliation: string): Promise<boolean> {
    const [current] = await this.exec(this.redis.pipeline().get(this.keys.official(electionId)));
    if (current === official) {
      await this.exec(this.redis.pipeline().set(this.keys.reconciliation(electionId), reconciliation));
      return false;
    }
    const multi = this.redis.multi();
    multi.set(this.keys.official(electionId), official);
    multi.set(this.keys.reconciliation(electionId), reconciliation);
    multi.hincrby(this.keys.meta(electionId), 'version', 1);
    const results = await this.exec(multi);
    await this.exec(this.redis.pipeline().publish(this.keys.channel(electionId), String(results[2])));
    return true;
  }

  /**
   * Repairs an election's live model from the history (reprocess), safely while the live worker
   * goes on applying the log: each counted vote of the fold is merged into the markers and counts
   * by repairMarkers-N.lua (one call per 1,000 votes of one sub-shard), so a vote the live tally
   * applied beyond the fold (which lags it) keeps its count, and a lost or deleted one is counted
   * again; totals are re-derived from the counts, close markers merged (the earliest per
   * partition rules) and marked passed. One more version is published. Idempotent. Returns the
   * counts/total/markers before and after, for the caller to compare.
   *
   * `closeAt` must have been read before the fold: every vote before those markers is then in it.
   */
  async rebuild(
    electionId: string,
    optionIds: readonly string[],
    counted: ReadonlyArray<{ userId: string; optionId: string; voteId: string; position: string }>,
    closeAt: ReadonlyMap<number, string>,
  ): Promise<{ before: LiveModelDigest; after: LiveModelDigest }> {
    const before = await this.digest(electionId);
    const markers = [...closeAt].flatMap(([partition, position]) => [String(partition), position]);
    const bySubShard = groupBy(counted, (v) => String(this.keys.subShardOf(v.userId)));
    for (let s = 0; s < this.keys.subShards; s++) {
      // the close markers first: from then on the live worker keeps any later vote out
      if (markers.length > 0) await this.runScript(recordCloseMarkers, [this.keys.close(electionId, s)], markers);
      const mine = (this.keys.subShards === 1 ? counted : bySubShard.get(String(s))) ?? [];
      const options = s === 0 ? optionIds : [];
      for (let i = 0; i === 0 || i < mine.length; i += 1_000) {
        const keys = new KeyIndex([this.keys.counts(electionId, s), this.keys.meta(electionId, s)]);
        const args: Array<string | number> = [this.keys.channel(electionId), options.length, ...options];
        for (const v of mine.slice(i, i + 1_000))
          args.push(keys.indexOf(this.keys.marker(electionId, v.userId)), v.userId, v.position, v.voteId, v.optionId);
        const reply = await this.runScript(repairMarkers, keys.keys, args);
        if (!Array.isArray(reply) || reply.length !== 4) throw TallyErrors.unexpectedReply(repairMarkers.name);
      }
    }
    // every vote of the fold before these markers is now counted: they are passed
    const multi = this.redis.multi();
    if (closeAt.size > 0)
      multi.hset(this.keys.closePassed(electionId), Object.fromEntries([...closeAt].map(([p, position]) => [String(p), position])));
    multi.hincrby(this.keys.meta(electionId), 'version', 1);
    const results = await this.exec(multi);
    await this.exec(this.redis.pipeline().publish(this.keys.channel(electionId), String(results.at(-1))));
    return { before, after: await this.digest(electionId) };
  }

  private async runScript(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await script.run(this.redis, keys, args);
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
  }

  /** Counts, total and close markers of the live model, in a stable key order. */
  async digest(electionId: string): Promise<LiveModelDigest> {
    const pipeline = this.redis.pipeline();
    pipeline.hgetall(this.keys.counts(electionId));
    pipeline.hget(this.keys.meta(electionId), 'total');
    pipeline.hgetall(this.keys.close(electionId));
    const [[own, ownTotal, close], others] = (await Promise.all([this.exec(pipeline), this.otherSubShards(electionId)])) as [
      [Record<string, string>, string | null, Record<string, string>],
      SubShardSums,
    ];
    const { counts, total } = addSubShards(own, ownTotal, others);
    const sorted = <T>(record: Record<string, T>) => idKeyed(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
    return { counts: sorted(counts), total, closeMarkers: sorted(close) };
  }

  /**
   * Sub-shards 1…S-1's counts, totals, versions and accepted counters summed: one pipeline per
   * sub-shard (each is its own slot), sent together with the caller's own call (one round).
   */
  private async otherSubShards(electionId: string): Promise<SubShardSums> {
    const sums: SubShardSums = { counts: idKeyed(), total: 0, version: 0, accepted: 0 };
    const others = await Promise.all(
      Array.from({ length: this.keys.subShards - 1 }, (_, i) => {
        const pipeline = this.redis.pipeline();
        pipeline.hgetall(this.keys.counts(electionId, i + 1));
        pipeline.hmget(this.keys.meta(electionId, i + 1), 'total', 'version', 'accepted');
        return this.exec(pipeline);
      }),
    );
    for (const [shardCounts, meta] of others as Array<[Record<string, string>, Array<string | null>]>) {
      for (const [option, n] of Object.entries(shardCounts)) sums.counts[option] = (sums.counts[option] ?? 0) + Number(n);
      sums.total += Number(meta[0] ?? 0);
      sums.version += Number(meta[1] ?? 0);
      sums.accepted += Number(meta[2] ?? 0);
    }
    return sums;
  }

  /**
   * Commit before reveal: stores an election's commitment and its opening, each once (a rerun
   * of the recount keeps the first, so the commitment never changes), and returns what is stored.
   */
  async commit(electionId: string, commitment: string, opening: string): Promise<{ commitment: string; opening: string }> {
    const pipeline = this.redis.pipeline();
    pipeline.set(this.keys.commitment(electionId), commitment, 'NX');
    pipeline.set(this.keys.opening(electionId), opening, 'NX');
    pipeline.get(this.keys.commitment(electionId));
    pipeline.get(this.keys.opening(electionId));
    const [, , stored, open] = await this.exec(pipeline);
    return { commitment: String(stored), opening: String(open) };
  }

  /** The commitment and its opening (JSON texts), if the election has one; the caller decides whether the opening may be shown. */
  async commitmentOf(electionId: string): Promise<{ commitment: string; opening: string } | undefined> {
    const pipeline = this.redis.pipeline();
    pipeline.get(this.keys.commitment(electionId));
    pipeline.get(this.keys.opening(electionId));
    const [commitment, opening] = await this.exec(pipeline);
    return typeof commitment === 'string' && typeof opening === 'string' ? { commitment, opening } : undefined;
  }

  /** The reconciliation published with the official result, as its JSON text; undefined before. */
  async reconciliation(electionId: string): Promise<string | undefined> {
    const [raw] = await this.exec(this.redis.pipeline().get(this.keys.reconciliation(electionId)));
    return typeof raw === 'string' ? raw : undefined;
  }

  /** Saves the live counts once (the first call wins) and returns what was saved. */
  /**
   * Puts back what a reprocess cannot rebuild from the votes: the election's status and
   * visibility, and once the result is official, the live counts the recount compared it with
   * (kept if present) and the published documents (one more version: watchers get `final`).
   */
  async restorePublished(
    electionId: string,
    status: ElectionStatus,
    visibility: ResultsVisibility,
    published?: { official: string; reconciliation: string; liveAtClose: string },
  ): Promise<void> {
    const pipeline = this.redis.pipeline();
    pipeline.hset(this.keys.meta(electionId), 'status', status);
    if (visibility === 'hidden') pipeline.hset(this.keys.meta(electionId), 'visibility', 'hidden');
    if (published !== undefined) pipeline.set(this.keys.liveAtClose(electionId), published.liveAtClose, 'NX');
    await this.exec(pipeline);
    if (published !== undefined) await this.publishOfficial(electionId, published.official, published.reconciliation);
  }

  async saveLiveAtClose(electionId: string): Promise<Record<string, number>> {
    const live = await this.results(electionId, { raw: true });
    const pipeline = this.redis.pipeline();
    pipeline.set(this.keys.liveAtClose(electionId), JSON.stringify(live?.counts ?? {}), 'NX');
    pipeline.get(this.keys.liveAtClose(electionId));
    const [, saved] = await this.exec(pipeline);
    return idKeyed(Object.entries(JSON.parse(String(saved)) as Record<string, number>));
  }

  /**
   * Applies a batch (any mix of elections): its close markers first (so a vote after a marker
   * in the same batch is already excluded), then one script call per election, then marks the
   * markers as passed (every vote before them is now counted).
   */
  async apply(records: readonly LoggedVote[], markers: readonly LoggedCloseMarker[] = []): Promise<ApplySummary> {
    const summary: ApplySummary = { counted: 0, duplicates: 0, replaced: 0, redelivered: 0, afterClose: 0 };
    const markersByElection = groupBy(markers, (m) => m.marker.electionId);
    for (const [electionId, list] of markersByElection) {
      // every sub-shard keeps its own copy of the markers: applyVotes reads it in its own slot
      const subShards = Array.from({ length: this.keys.subShards }, (_, s) => s);
      try {
        await Promise.all(
          subShards.map((s) =>
            recordCloseMarkers.run(
              this.redis,
              [this.keys.close(electionId, s)],
              list.flatMap((m) => [m.partition, m.position]),
            ),
          ),
        );
      } catch (error) {
        throw TallyErrors.unavailable(error);
      }
    }
    for (const [electionId, all] of groupBy(records, (r) => r.vote.electionId)) {
      // one script call per sub-shard of the election (one with a single sub-shard), sent together
      const bySubShard =
        this.keys.subShards === 1 ? new Map([['0', all]]) : groupBy(all, (r) => String(this.keys.subShardOf(r.vote.userId)));
      const replies = await Promise.all(
        [...bySubShard].map(async ([subShard, votes]) => {
          const s = Number(subShard);
          const keys = new KeyIndex([this.keys.counts(electionId, s), this.keys.meta(electionId, s), this.keys.close(electionId, s)]);
          const args: Array<string | number> = [this.keys.channel(electionId)];
          for (const { vote, position, partition } of votes) {
            args.push(
              keys.indexOf(this.keys.marker(electionId, vote.userId)),
              vote.userId,
              position,
              vote.voteId,
              vote.optionId,
              partition,
            );
          }
          try {
            return await applyVotes.run(this.redis, keys.keys, args);
          } catch (error) {
            throw TallyErrors.unavailable(error);
          }
        }),
      );
      for (const reply of replies) {
        if (!Array.isArray(reply) || reply.length !== 6) throw TallyErrors.unexpectedReply(applyVotes.name);
        summary.counted += Number(reply[0]);
        summary.duplicates += Number(reply[1]);
        summary.replaced += Number(reply[2]);
        summary.redelivered += Number(reply[3]);
        summary.afterClose += Number(reply[5]);
      }
      // after-close records of the whole election, kept in sub-shard 0's slot (its copy of the markers decides)
      if (replies.some((reply) => Array.isArray(reply) && Number(reply[5]) > 0)) await this.recordAfterClose(electionId, all);
    }
    // one pipeline per election: on a Redis Cluster a pipeline must stay in one slot
    await Promise.all(
      [...markersByElection].map(([electionId, list]) => {
        const pipeline = this.redis.pipeline();
        for (const m of list) pipeline.hset(this.keys.closePassed(electionId), m.partition, m.position);
        return this.exec(pipeline);
      }),
    );
    return summary;
  }

  /** Remembers a batch's after-close records by position (only batches that had some): see afterCloseCount. */
  private async recordAfterClose(electionId: string, votes: readonly LoggedVote[]): Promise<void> {
    try {
      await recordAfterCloseVotes.run(
        this.redis,
        [this.keys.close(electionId), this.keys.afterClose(electionId)],
        votes.flatMap((v) => [v.partition, v.position]),
      );
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
  }

  /**
   * Distinct log records of an election applied after their partition's close marker (each
   * counted once, redeliveries included). Once the projections have drained it equals the
   * DynamoDB fold's `afterClose`; a larger figure than the published reconciliation's means a
   * vote reached the log after the recount. One SCARD.
   */
  async afterCloseCount(electionId: string): Promise<number> {
    const [count] = await this.exec(this.redis.pipeline().scard(this.keys.afterClose(electionId)));
    return Number(count ?? 0);
  }

  /**
   * Votes the live tally has applied per election, whatever their fate (the meta `accepted`
   * counter kept by applyVotes-N.lua); undefined for an election without a read model. One
   * round trip for all of them: sampled over time, this is the accepted-votes rate of every
   * ingest process together, read off the projection instead of the vote path.
   */
  async acceptedCounts(electionIds: readonly string[]): Promise<Array<number | undefined>> {
    if (electionIds.length === 0) return [];
    // one command per election, all sent before the first reply (elections live in different cluster slots)
    let replies: Array<Array<string | null>>;
    try {
      replies = await Promise.all(electionIds.map((id) => this.redis.hmget(this.keys.meta(id), 'accepted', 'version')));
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
    if (this.keys.subShards === 1)
      return replies.map(([accepted, version]) => (version === null || version === undefined ? undefined : Number(accepted ?? 0)));
    const others = await Promise.all(electionIds.map((id) => this.otherSubShards(id)));
    return replies.map(([accepted, version], i) =>
      version === null || version === undefined ? undefined : Number(accepted ?? 0) + (others[i]?.accepted ?? 0),
    );
  }

  /**
   * Keeps log records refused before counting (reason `forged`), keyed by log position, so a
   * redelivery changes nothing; they never touch the counts. One pipeline per call.
   */
  async recordRejected(rejected: ReadonlyArray<{ vote: LoggedVote; reason: RejectReason }>): Promise<void> {
    if (rejected.length === 0) return;
    await Promise.all(
      [...groupBy(rejected, (r) => r.vote.vote.electionId)].map(([electionId, list]) => {
        const pipeline = this.redis.pipeline();
        for (const { vote, reason } of list)
          pipeline.hset(this.keys.rejected(electionId), `${vote.partition}|${vote.position}`, `${reason}|${vote.vote.voteId.slice(0, 64)}`);
        return this.exec(pipeline);
      }),
    );
  }

  /** Log records of an election refused before counting, by reason. */
  async rejectedCounts(electionId: string): Promise<Record<string, number>> {
    const [raw] = await this.exec(this.redis.pipeline().hvals(this.keys.rejected(electionId)));
    const counts: Record<string, number> = {};
    for (const value of raw as string[]) {
      const reason = value.split('|', 1)[0] as string;
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
    return counts;
  }

  /** Partitions whose close marker the live tally has passed, with the marker's position. */
  async closeMarkersPassed(electionId: string): Promise<Map<number, string>> {
    const [raw] = await this.exec(this.redis.pipeline().hgetall(this.keys.closePassed(electionId)));
    return new Map(Object.entries(raw as Record<string, string>).map(([p, position]) => [Number(p), position]));
  }

  /**
   * Publishes an election's status into the read model: one more version, so every SSE
   * watcher gets a snapshot carrying it (a close shows without polling).
   */
  async setStatus(electionId: string, status: ElectionStatus): Promise<void> {
    const meta = this.keys.meta(electionId);
    const pipeline = this.redis.multi();
    pipeline.hset(meta, 'status', status);
    pipeline.hincrby(meta, 'version', 1);
    const results = await this.exec(pipeline);
    await this.exec(this.redis.pipeline().publish(this.keys.channel(electionId), String(results[1])));
  }

  /**
   * The results as the public sees them: the official result once published (`final: true`),
   * otherwise the live counts, stripped of per-option counts while results are hidden.
   * `raw` gives admins the live counts whatever the visibility.
   */
  async results(electionId: string, options: { raw?: boolean } = {}): Promise<ResultsSnapshot | undefined> {
    const pipeline = this.redis.pipeline();
    pipeline.hgetall(this.keys.counts(electionId));
    pipeline.hmget(this.keys.meta(electionId), 'total', 'version', 'status', 'visibility');
    pipeline.get(this.keys.official(electionId));
    const [[countsRaw, metaRaw, officialRaw], others] = await Promise.all([this.exec(pipeline), this.otherSubShards(electionId)]);
    const meta = metaRaw as Array<string | null>;
    if (meta[1] === null || meta[1] === undefined) return undefined;
    const status = meta[2];
    // the version is the sum of every sub-shard's: it only grows, whichever sub-shard changed
    const summed = addSubShards(countsRaw as Record<string, string>, meta[0], others);
    const head = { electionId, version: Number(meta[1]) + summed.version, ...(isStatus(status) ? { status } : {}) };
    if (typeof officialRaw === 'string' && options.raw !== true) {
      const official = JSON.parse(officialRaw) as OfficialResult;
      return { ...head, counts: official.counts, total: official.total, final: true };
    }
    const { counts, total } = summed;
    if (meta[3] === 'hidden' && options.raw !== true) return { ...head, counts: {}, total, final: false, visibility: 'hidden' };
    return {
      electionId,
      counts,
      total,
      version: head.version,
      ...(isStatus(status) ? { status } : {}),
      final: typeof officialRaw === 'string',
    };
  }

  /** Records receipts of accepted votes (after the log acknowledged them): one call per election. */
  async recordReceipts(records: readonly LoggedVote[]): Promise<void> {
    // one call per election and sub-shard: a call's keys share one slot
    for (const [, votes] of groupBy(records, (r) => `${r.vote.electionId}/${this.keys.subShardOf(r.vote.userId)}`)) {
      const electionId = (votes[0] as LoggedVote).vote.electionId;
      const keys = new KeyIndex();
      const args: Array<string | number> = [this.receiptTtl, this.maxReceipts];
      for (const { vote, position, partition } of votes) {
        args.push(
          keys.indexOf(this.keys.receipts(electionId, vote.userId)),
          vote.userId,
          `${vote.voteId}|${vote.optionId}|${position}|${partition}`,
        );
      }
      try {
        await appendReceipts.run(this.redis, keys.keys, args);
      } catch (error) {
        throw TallyErrors.unavailable(error);
      }
    }
  }

  /**
   * A voter's accepted votes with their live status: one after its partition's close marker
   * (once the tally applied that marker) is rejected `after-close`; the one whose marker the
   * tally holds is counted; one after it in log order is a rejected duplicate; anything else is
   * still pending. The counted vote comes first.
   */
  async receiptsOf(electionId: string, userId: string): Promise<VoteReceipt[]> {
    const pipeline = this.redis.pipeline();
    pipeline.hget(this.keys.receipts(electionId, userId), userId);
    pipeline.hget(this.keys.marker(electionId, userId), userId);
    pipeline.hgetall(this.keys.close(electionId, this.keys.subShardOf(userId)));
    const [receiptsRaw, markerRaw, closeRaw] = (await this.exec(pipeline)) as [string | null, string | null, Record<string, string>];
    const marker = markerRaw == null ? undefined : parseEntry(markerRaw, 'marker');
    const entries = receiptsRaw == null ? [] : receiptsRaw.split(';').map((e) => parseEntry(e, 'receipt'));
    if (marker !== undefined && !entries.some((e) => e.voteId === marker.voteId)) entries.push(marker);
    const receipts = entries.map((e): VoteReceipt => {
      if (e.partition !== undefined && isAfterClose(e.position, closeRaw[e.partition]))
        return { voteId: e.voteId, optionId: e.optionId, status: 'rejected', reason: 'after-close' };
      if (marker === undefined) return { voteId: e.voteId, optionId: e.optionId, status: 'pending' };
      if (e.voteId === marker.voteId) return { voteId: e.voteId, optionId: e.optionId, status: 'counted' };
      if (e.position > marker.position) return { voteId: e.voteId, optionId: e.optionId, status: 'rejected', reason: 'duplicate' };
      return { voteId: e.voteId, optionId: e.optionId, status: 'pending' };
    });
    const rank = (r: VoteReceipt) => (r.status === 'counted' ? 0 : 1);
    return receipts.sort((a, b) => rank(a) - rank(b));
  }

  private async exec(pipeline: ReturnType<Redis['pipeline']> | ReturnType<Redis['multi']>): Promise<unknown[]> {
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
    if (results === null) throw TallyErrors.unavailable(new Error('pipeline aborted'));
    return results.map(([error, value]) => {
      if (error !== null) throw TallyErrors.unavailable(error);
      return value;
    });
  }
}

interface SubShardSums {
  counts: Record<string, number>;
  total: number;
  version: number;
  accepted: number;
}

/** Sub-shard 0's counts and total (as Redis returns them) plus the other sub-shards' sums. */
function addSubShards(own: Record<string, string>, ownTotal: string | null | undefined, others: SubShardSums): SubShardSums {
  const counts = idKeyed<number>();
  for (const [option, n] of Object.entries(own)) counts[option] = Number(n);
  for (const [option, n] of Object.entries(others.counts)) counts[option] = (counts[option] ?? 0) + n;
  return { counts, total: Number(ownTotal ?? 0) + others.total, version: others.version, accepted: others.accepted };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key) ?? [];
    list.push(item);
    groups.set(key, list);
  }
  return groups;
}

/** Receipts are `voteId|optionId|position|partition` (older ones lack the partition); markers `position|voteId|optionId`. */
function parseEntry(text: string, kind: 'marker' | 'receipt'): { voteId: string; optionId: string; position: string; partition?: string } {
  const [a = '', b = '', c = '', d] = text.split('|');
  if (kind === 'marker') return { position: a, voteId: b, optionId: c };
  return { voteId: a, optionId: b, position: c, ...(d === undefined ? {} : { partition: d }) };
}

const isStatus = (value: string | null | undefined): value is ElectionStatus => value === 'draft' || value === 'open' || value === 'closed';
