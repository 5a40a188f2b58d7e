import type { Cluster, Redis } from 'ioredis';
import type { Election } from '@urna/domain';
import { TallyErrors } from './errors.ts';

/** Most elections `list` returns: the newest ones. */
export const ELECTION_LIST_LIMIT = 500;

/**
 * Election config as the vote path reads it: one JSON string per election in Redis, written by
 * the lifecycle service on every change (create, schedule, open, close begun, closed). Ingest
 * reads only this, never DynamoDB, so votes keep flowing while DynamoDB is slow or down.
 * The same writes keep two sorted sets by creation time, the listing of `GET /v1/elections`:
 * every election (admins) and every election past its draft (everyone else).
 */
export class ElectionConfigs {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix = 'urna',
  ) {}

  /**
   * Every key here carries the hash tag `{elections}`: on a Redis Cluster the config and index
   * writes stay one transaction and `list` one MGET (one slot; the data is small and ingest
   * caches it). Keys before the tag (`urna:election:<id>`) are rewritten by the lifecycle's
   * start-up `reindex`.
   */
  key(electionId: string): string {
    return `${this.prefix}:{elections}:config:${electionId}`;
  }

  /** Sorted set id → creation time of every election; `listed` holds those past their draft. */
  indexKey(which: 'all' | 'listed'): string {
    return `${this.prefix}:{elections}:${which}`;
  }

  async put(election: Election): Promise<void> {
    const created = Date.parse(election.createdAt) || 0;
    const multi = this.redis.multi();
    multi.set(this.key(election.id), JSON.stringify(election));
    multi.zadd(this.indexKey('all'), created, election.id);
    if (election.status === 'draft') multi.zrem(this.indexKey('listed'), election.id);
    else multi.zadd(this.indexKey('listed'), created, election.id);
    try {
      const results = await multi.exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (results === null || failed) throw failed ?? new Error('transaction aborted');
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
  }

  /**
   * The newest elections (up to ELECTION_LIST_LIMIT) in creation order, from the index: no
   * scan of anything. Drafts only when `drafts` (admins).
   */
  async list(options: { drafts: boolean; limit?: number }): Promise<Election[]> {
    try {
      const ids = await this.redis.zrevrange(
        this.indexKey(options.drafts ? 'all' : 'listed'),
        0,
        (options.limit ?? ELECTION_LIST_LIMIT) - 1,
      );
      if (ids.length === 0) return [];
      const raws = await this.redis.mget(ids.map((id) => this.key(id)));
      const elections = raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as Election]));
      // the config is newer than the index entry when a put raced this read: drafts never leak
      return elections.filter((e) => options.drafts || e.status !== 'draft').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
  }

  /** Writes each election's config and index entries again (start-up of the lifecycle: data from before the index). */
  async reindex(elections: readonly Election[]): Promise<void> {
    for (const election of elections) await this.put(election);
  }

  async get(electionId: string): Promise<Election | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(this.key(electionId));
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
    return raw === null ? undefined : (JSON.parse(raw) as Election);
  }
}
