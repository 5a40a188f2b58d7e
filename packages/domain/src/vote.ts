/** A vote as accepted by ingest and appended to the log. Immutable. */
export interface Vote {
  readonly voteId: string;
  readonly electionId: string;
  readonly userId: string;
  readonly optionId: string;
  /** Epoch milliseconds at which ingest accepted the request. */
  readonly acceptedAt: number;
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

export type VoteStatus = 'pending' | 'counted' | 'rejected';
export type RejectReason = 'duplicate';

export interface VoteReceipt {
  readonly voteId: string;
  readonly optionId: string;
  readonly status: VoteStatus;
  readonly reason?: RejectReason;
}
