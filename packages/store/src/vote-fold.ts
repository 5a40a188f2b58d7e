import { isAfterClose } from '@urna/domain';
import type { StoredVote } from './vote-page.ts';

export interface ElectionTally {
  readonly counts: Record<string, number>;
  readonly total: number;
  /** Every vote record in the history, counted or not: total + duplicates + afterClose + forged. */
  readonly accepted: number;
  readonly duplicates: number;
  /** Votes after their partition's close marker. */
  readonly afterClose: number;
  /** Vote records without a valid signature of ingest, kept apart and never counted. */
  readonly forged: number;
  /**
   * Vote records per log partition (index = partition), forged ones excluded: what each
   * partition's transparency log must hold besides its close marker.
   */
  readonly entries: readonly number[];
}

/** A vote that counts, as a rebuild of the live read model needs it. */
export interface CountedVote {
  readonly userId: string;
  readonly optionId: string;
  readonly voteId: string;
  readonly position: string;
}

/**
 * Each vote once, identified by its log position within one partition. Pages overlap when a
 * redelivered batch was cut differently, and format-1 items may repeat votes of a page. Pages
 * arrive in sort-key order, i.e. by first position, so a position below the current page's
 * first can never come again: those are pruned, and the set holds only the overlap window.
 * Format-1 positions (`pinned`) are kept for the whole fold.
 */
export class PositionDedupe {
  private readonly window = new Set<string>();
  private readonly pinned = new Set<string>();

  /** Format-1 votes (read before any page). */
  pin(position: string): boolean {
    if (this.pinned.has(position)) return false;
    this.pinned.add(position);
    return true;
  }

  /** Call once per page, before its votes, with the page's first position. */
  startPage(first: string): void {
    for (const position of this.window) if (position < first) this.window.delete(position);
  }

  /** True the first time a position is seen. */
  fresh(position: string): boolean {
    if (this.pinned.has(position) || this.window.has(position)) return false;
    this.window.add(position);
    return true;
  }
}

/**
 * The one-vote rule over one log partition: votes after the partition's close marker are
 * `afterClose`; of the others, per user the smallest position counts (a user's votes are all
 * in one partition, so partitions fold independently). Each vote must be added once (see
 * PositionDedupe); order does not matter.
 */
export class PartitionFold {
  private readonly first = new Map<string, { position: string; optionId: string; voteId: string }>();
  private accepted = 0;
  private afterClose = 0;

  /** `closeAt`: the smallest close-marker position stored for this partition, if any. */
  constructor(private readonly closeAt?: string) {}

  add(vote: Pick<StoredVote, 'userId' | 'optionId' | 'position'> & { readonly voteId?: string }): void {
    this.accepted++;
    if (isAfterClose(vote.position, this.closeAt)) {
      this.afterClose++;
      return;
    }
    const current = this.first.get(vote.userId);
    if (current === undefined || vote.position < current.position)
      this.first.set(vote.userId, { position: vote.position, optionId: vote.optionId, voteId: vote.voteId ?? '' });
  }

  /** Vote records added, counted or not. */
  get size(): number {
    return this.accepted;
  }

  /**
   * Adds this partition's result into an election-wide tally, and hands each counted vote to
   * `onCounted`. `tally.counts` must have no prototype (`idKeyed()`): option ids may be
   * `__proto__` or `constructor`.
   */
  into(
    tally: { counts: Record<string, number>; total: number; accepted: number; afterClose: number },
    onCounted?: (vote: CountedVote) => void,
  ): void {
    tally.accepted += this.accepted;
    tally.afterClose += this.afterClose;
    for (const [userId, { optionId, position, voteId }] of this.first) {
      tally.counts[optionId] = (tally.counts[optionId] ?? 0) + 1;
      tally.total++;
      onCounted?.({ userId, optionId, voteId, position });
    }
  }
}
