import { PROJECTION_GROUPS, type LoggedVote } from '@urna/domain';
import type { LiveTally } from '@urna/tally';
import type { VoteStore } from '@urna/store';

export type ProjectionName = 'live' | 'store';

export interface Projection {
  readonly name: ProjectionName;
  /** Consumer group of this projection on the log: each projection acknowledges on its own. */
  readonly group: string;
  /** Applies a batch idempotently; resolves once the batch is applied (then it is acknowledged). */
  apply(records: readonly LoggedVote[]): Promise<void>;
}

export const GROUPS: Readonly<Record<ProjectionName, string>> = PROJECTION_GROUPS;

/** Redis read model: one EVALSHA per election in the batch. */
export function liveTallyProjection(tally: LiveTally): Projection {
  return { name: 'live', group: GROUPS.live, apply: async (records) => void (await tally.apply(records)) };
}

/** DynamoDB source of truth: batched, concurrent, idempotent writes. */
export function voteStoreProjection(store: VoteStore): Projection {
  return { name: 'store', group: GROUPS.store, apply: (records) => store.write(records) };
}
