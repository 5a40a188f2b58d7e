import { bucketOf } from '@urna/domain';

/**
 * Redis key layout of the live read model. Every key of one election carries the hash tag
 * `{<electionId>}` so a batch script touches one cluster slot. Per-user data sits in hash
 * buckets (`bucketOf(userId) % buckets`), never a key per user: at 10^8 users and 65,536
 * buckets a bucket holds ~1,500 fields.
 *
 * Sub-shards (`subShards` > 1, URNA_TALLY_SUBSHARDS): a user's bucket modulo the sub-shard count
 * picks their sub-shard; sub-shard s > 0 has its own tag `{<electionId>.<s>}` ('.' is not in
 * election ids), so one hot election's markers, receipts, counts and accepted counter spread
 * over several slots. Sub-shard 0 is the election's own tag: with one sub-shard the layout is
 * the one above, key for key. Each sub-shard keeps `counts`, `meta` (total, version, accepted)
 * and a copy of `close`; the election's status, visibility, official result, reconciliation,
 * rejected records and `close-passed` stay under `{<electionId>}`.
 */
export class TallyKeys {
  constructor(
    readonly buckets: number,
    private readonly prefix = 'urna',
    readonly subShards = 1,
  ) {
    if (!Number.isInteger(subShards) || subShards < 1 || subShards > buckets) throw new RangeError('sub-shards: 1 to the bucket count');
  }

  /** The sub-shard holding a user's marker and receipts (a bucket never straddles two). */
  subShardOf(userId: string): number {
    return bucketOf(userId, this.buckets) % this.subShards;
  }

  private tag(electionId: string, subShard: number): string {
    return subShard === 0 ? electionId : `${electionId}.${subShard}`;
  }

  /** Counted votes per option (of one sub-shard; the results sum them). */
  counts(electionId: string, subShard = 0): string {
    return `${this.prefix}:tally:{${this.tag(electionId, subShard)}}:counts`;
  }

  /** Sub-shard 0's meta is the election's: status, visibility; every sub-shard's has total, version, accepted. */
  meta(electionId: string, subShard = 0): string {
    return `${this.prefix}:tally:{${this.tag(electionId, subShard)}}:meta`;
  }

  /** Hash partition → position of the election's close marker there (absent while open); one copy per sub-shard. */
  close(electionId: string, subShard = 0): string {
    return `${this.prefix}:tally:{${this.tag(electionId, subShard)}}:close`;
  }

  /**
   * Hash partition → position of a close marker there, written after the batch holding it was
   * applied: every vote before the marker there is in the counts (what the recount waits for).
   * Which marker rules is in `close`.
   */
  closePassed(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:close-passed`;
  }

  /** The official result (JSON, the recount's bytes); once set, results serve it with `final: true`. */
  official(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:official`;
  }

  /** The reconciliation document (JSON) published with the official result. */
  reconciliation(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:reconciliation`;
  }

  /** The live counts as the recount first saw them (JSON, set once): what the official result is compared with. */
  liveAtClose(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:live-at-close`;
  }

  /** Commit before reveal (hidden results): the public commitment document (JSON), set once. */
  commitment(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:commitment`;
  }

  /** Its opening (nonce and the committed bytes, JSON), set once; served only once the result is revealed. */
  opening(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:opening`;
  }

  /** Set of `partition|position` of every record applied after its partition's close marker (recordAfterCloseVotes-2.lua). */
  afterClose(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:after-close`;
  }

  /** Hash `partition|position` → `reason|voteId` of log records refused before counting (forged). */
  rejected(electionId: string): string {
    return `${this.prefix}:tally:{${electionId}}:rejected`;
  }

  marker(electionId: string, userId: string): string {
    return `${this.prefix}:tally:{${this.tag(electionId, this.subShardOf(userId))}}:m:${bucketOf(userId, this.buckets)}`;
  }

  receipts(electionId: string, userId: string): string {
    return `${this.prefix}:rcpt:{${this.tag(electionId, this.subShardOf(userId))}}:${bucketOf(userId, this.buckets)}`;
  }

  /** Pub/sub channel carrying the new version after each change of the counts. */
  channel(electionId: string): string {
    return `${this.prefix}:results:${electionId}`;
  }
}

/** Builds the KEYS list of a multi-bucket script call: distinct keys, with a 1-based index per key. */
export class KeyIndex {
  readonly keys: string[];
  private readonly index = new Map<string, number>();

  constructor(fixed: readonly string[] = []) {
    this.keys = [...fixed];
  }

  indexOf(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length;
      this.index.set(key, i);
    }
    return i;
  }
}
