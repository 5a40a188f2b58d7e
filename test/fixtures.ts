import { randomUUID } from 'node:crypto';
import type { LoggedCloseMarker, LoggedVote } from '@urna/domain';
import { partitionOf } from '@urna/domain';

/** Builds logged votes with positions in log order, as an adapter would assign them. */
export function makeLog(electionId: string, entries: ReadonlyArray<{ userId: string; optionId: string }>, partitions = 4): LoggedVote[] {
  return entries.map(({ userId, optionId }, i) => ({
    vote: { voteId: randomUUID(), electionId, userId, optionId, acceptedAt: 1_700_000_000_000 + i },
    partition: partitionOf(userId, partitions),
    position: String(i).padStart(12, '0'),
  }));
}

/** One close marker per partition, all at `position` (comparable with makeLog's positions). */
export function closeMarkers(electionId: string, position: string, partitions = 4): LoggedCloseMarker[] {
  return Array.from({ length: partitions }, (_, partition) => ({
    marker: { electionId, closedAt: 1_700_000_100_000 },
    partition,
    position,
  }));
}
