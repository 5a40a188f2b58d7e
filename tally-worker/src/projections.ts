import {
  ElectionId,
  isCloseMarker,
  PROJECTION_GROUPS,
  TRANSPARENCY_GROUP,
  type LoggedCloseMarker,
  type LoggedVote,
  type RejectedRecord,
} from '@urna/domain';
import type { LiveTally } from '@urna/tally';
import type { VoteStore } from '@urna/store';
import { failpoint } from '@urna/service-kit';
import type { LiveBatchObserver } from './live-metrics.ts';

export type ProjectionName = 'live' | 'store' | 'transparency';

export interface Projection {
  readonly name: ProjectionName;
  /** Consumer group of this projection on the log: each projection acknowledges on its own. */
  readonly group: string;
  /**
   * Applies a batch idempotently; resolves once the batch is applied (then it is acknowledged).
   * Votes after their partition's close marker are kept as rejected `after-close`.
   */
  apply(records: readonly LoggedVote[], markers: readonly LoggedCloseMarker[]): Promise<void>;
  /**
   * Keeps the votes the log refused to deliver as valid (reason `forged`) as rejected, never
   * counted; idempotent. Rejected close markers close nothing and are only counted in metrics.
   */
  reject(rejected: readonly RejectedRecord[]): Promise<void>;
}

/** The rejected votes of a batch that name a well-formed election (others cannot belong to any). */
export const rejectedVotes = (rejected: readonly RejectedRecord[]): Array<{ vote: LoggedVote; reason: 'forged' }> =>
  rejected.flatMap(({ record, reason }) =>
    isCloseMarker(record) || !ElectionId.safeParse(record.vote.electionId).success ? [] : [{ vote: record, reason }],
  );

/** The groups every deployment runs (the admin log view and the drain checks list these). */
export const GROUPS: Readonly<Record<'live' | 'store', string>> = PROJECTION_GROUPS;
/** The transparency projection's group, apart from GROUPS: a deployment may run without it. */
export { TRANSPARENCY_GROUP };

/** Redis read model: one EVALSHA per election in the batch. `observe` sees each applied batch (metrics). */
export function liveTallyProjection(tally: LiveTally, observe?: LiveBatchObserver): Projection {
  return {
    name: 'live',
    group: GROUPS.live,
    apply: async (records, markers) => {
      const summary = await tally.apply(records, markers);
      observe?.(summary, records);
      failpoint('live.after-lua');
    },
    reject: (rejected) => tally.recordRejected(rejectedVotes(rejected)),
  };
}

/** DynamoDB source of truth: batched, concurrent, idempotent writes. */
export function voteStoreProjection(store: VoteStore): Projection {
  return {
    name: 'store',
    group: GROUPS.store,
    apply: async (records, markers) => {
      await store.write(records, markers);
      failpoint('store.after-write');
    },
    reject: (rejected) => store.writeRejected(rejectedVotes(rejected)),
  };
}
