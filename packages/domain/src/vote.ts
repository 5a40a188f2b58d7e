/** A vote as accepted by ingest and appended to the log. Immutable. */
export interface Vote {
  readonly voteId: string;
  readonly electionId: string;
  readonly userId: string;
  readonly optionId: string;
  /** Epoch milliseconds at which ingest accepted the request. */
  readonly acceptedAt: number;
  /**
   * The log record's HMAC as read from the log (`<keyId>.<mac>`, see @urna/log record-signing);
   * absent on unsigned records. Set by the log's signing layer, never by a caller.
   */
  readonly signature?: string;
}

/**
 * A vote together with where the log put it. `position` is a fixed-width string that sorts in
 * log order within one partition; a user's votes all live in one partition, so comparing the
 * positions of two votes of the same user tells which came first.
 */
export interface LoggedVote {
  readonly vote: Vote;
  readonly partition: number;
  readonly position: string;
}

/**
 * The close of an election as a log record: appended once to every partition. A vote counts
 * only if it precedes its partition's marker (the smallest marker position, if several were
 * appended); no wall clock decides it.
 */
export interface CloseMarker {
  readonly electionId: string;
  /** Epoch milliseconds at which the close was requested (informative only). */
  readonly closedAt: number;
  /** The record's HMAC as read from the log, like Vote.signature. */
  readonly signature?: string;
}

export interface LoggedCloseMarker {
  readonly marker: CloseMarker;
  readonly partition: number;
  readonly position: string;
}

/** Any record of the log: a vote or a close marker. */
export type LogRecord = LoggedVote | LoggedCloseMarker;

export const isCloseMarker = (record: LogRecord): record is LoggedCloseMarker => 'marker' in record;

/** Splits a delivered batch into its votes and its close markers, each in delivery order. */
export function splitRecords(records: readonly LogRecord[]): { votes: LoggedVote[]; markers: LoggedCloseMarker[] } {
  const votes: LoggedVote[] = [];
  const markers: LoggedCloseMarker[] = [];
  for (const record of records) {
    if (isCloseMarker(record)) markers.push(record);
    else votes.push(record);
  }
  return { votes, markers };
}

/** Whether a vote at `position` in its partition comes after that partition's close marker. */
export const isAfterClose = (position: string, markerPosition: string | undefined): boolean =>
  markerPosition !== undefined && position > markerPosition;

export type VoteStatus = 'pending' | 'counted' | 'rejected';
/**
 * `duplicate`: the user already had a counted vote; `after-close`: after its partition's close
 * marker; `forged`: a log record without a valid signature of ingest (never counted).
 */
export type RejectReason = 'duplicate' | 'after-close' | 'forged';

/** A log record a projection refused before applying it, with the reason. */
export interface RejectedRecord {
  readonly record: LogRecord;
  readonly reason: 'forged';
}

export interface VoteReceipt {
  readonly voteId: string;
  readonly optionId: string;
  readonly status: VoteStatus;
  readonly reason?: RejectReason;
}
