import type { LoggedCloseMarker, LoggedVote, RejectedRecord, Vote } from '@urna/domain';

/** Defaults of ConsumerOptions, for every adapter and for the services' config. */
export const CONSUMER_DEFAULTS = { batchSize: 500, blockMs: 500, claimIdleMs: 30_000 } as const;

/** Back-off of a consumer after a failed batch: 200 ms, 400 ms, … up to 5 s. */
export const CONSUMER_BACKOFF = { baseMs: 100, maxMs: 5_000 } as const;

export interface ConsumerOptions {
  /** Consumer group: one per projection. A new group starts at the beginning of the log. */
  readonly group: string;
  /** Stable name of this member; a restarted member with the same name resumes its unacked entries. */
  readonly consumer: string;
  /** Partitions this member reads; all of them when omitted. */
  readonly partitions?: readonly number[];
  /**
   * Upper bound on records per partition per read.
   * @defaultValue CONSUMER_DEFAULTS.batchSize (500)
   */
  readonly batchSize?: number;
  /**
   * How long a read waits for new records before looping (bounds `stop()` latency).
   * @defaultValue CONSUMER_DEFAULTS.blockMs (500)
   */
  readonly blockMs?: number;
  /**
   * Records left unacknowledged by another member for this long are taken over.
   * @defaultValue CONSUMER_DEFAULTS.claimIdleMs (30 s)
   */
  readonly claimIdleMs?: number;
  /**
   * Redis log only, without `partitions`: members of the group share the partitions through
   * leases of this length (PartitionLeases) instead of all reading every partition. Kafka
   * balances its consumer groups itself and ignores it.
   */
  readonly leaseMs?: number;
  /** Called when the handler throws; the batch is redelivered after a back-off (CONSUMER_BACKOFF), which `stop()` cuts short. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Handles one batch: its votes and the close markers among them (each list in log order per
 * partition). Resolving acknowledges every record of the batch; throwing acknowledges none and
 * the batch is delivered again. Records may be delivered more than once (after a crash, a
 * takeover or a failed handler), so handlers must be idempotent. Projections apply a batch's
 * markers before its votes: a vote after a marker in the same batch is then already excluded.
 * On a signed log (signedVoteLog) `rejected` holds the batch's records without a valid
 * signature, which are not among `records` and `markers`; a bare adapter passes none.
 */
export type BatchHandler = (
  records: readonly LoggedVote[],
  markers: readonly LoggedCloseMarker[],
  rejected?: readonly RejectedRecord[],
) => Promise<void>;

export interface RunningConsumer {
  /** Finishes the batch in hand, acknowledges it, and stops reading. */
  stop(): Promise<void>;
}

export interface GroupBacklog {
  /** Records not yet delivered to the group. */
  readonly undelivered: number;
  /** Records delivered but not yet acknowledged. */
  readonly pending: number;
}

/**
 * The durable vote log, partitioned by user id. Contract (tested against every adapter):
 * - `append` resolves only once every vote of the batch is durably stored, with its partition
 *   and position; it rejects with a retriable LOG_UNAVAILABLE error otherwise (a vote may then
 *   still have been stored: the tally's dedupe makes the client's retry harmless);
 * - all votes of one user go to one partition, and positions within a partition sort in log order;
 * - a consumer group receives every record at least once, in log order within a partition;
 * - `appendCloseMarker` puts one close marker of the election on every partition and resolves
 *   once all are durable: every vote appended after it resolved sits after its partition's
 *   marker. Calling it again appends more markers; the smallest position per partition rules.
 */
export interface VoteLog {
  readonly partitions: number;
  append(votes: readonly Vote[]): Promise<LoggedVote[]>;
  /** `signature`: the marker's HMAC, written with it (signedVoteLog passes it). */
  appendCloseMarker(electionId: string, closedAt?: number, signature?: string): Promise<LoggedCloseMarker[]>;
  consume(options: ConsumerOptions, handler: BatchHandler): Promise<RunningConsumer>;
  backlog(group: string): Promise<GroupBacklog>;
  close(): Promise<void>;
}
