import type { StoredVote } from './vote-page.ts';

export interface ElectionTally {
  readonly counts: Record<string, number>;
  readonly total: number;
  /** Every accepted vote in the history, counted or not. */
  readonly accepted: number;
  readonly duplicates: number;
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
 * The one-vote rule over one log partition: per user the smallest position counts (a user's
 * votes are all in one partition, so partitions fold independently). Each vote must be added
 * once (see PositionDedupe); order does not matter.
 *
 * Extension point for the after-close rule: a partition's close-marker position is known
 * before its pages are read, so `add` can reject votes past it (before the per-user rule) and
 * count them separately.
 */
export class PartitionFold {
  private readonly first = new Map<string, { position: string; optionId: string }>();
  private accepted = 0;

  add(vote: Pick<StoredVote, 'userId' | 'optionId' | 'position'>): void {
    this.accepted++;
    const current = this.first.get(vote.userId);
    if (current === undefined || vote.position < current.position) this.first.set(vote.userId, { position: vote.position, optionId: vote.optionId });
  }

  /** Adds this partition's result into an election-wide tally. */
  into(tally: { counts: Record<string, number>; total: number; accepted: number }): void {
    tally.accepted += this.accepted;
    for (const { optionId } of this.first.values()) {
      tally.counts[optionId] = (tally.counts[optionId] ?? 0) + 1;
      tally.total++;
    }
  }
}
