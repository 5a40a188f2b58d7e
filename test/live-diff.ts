import { Redis } from 'ioredis';
import { countedVotes, isAfterClose, isCloseMarker, type LoggedCloseMarker, type LoggedVote } from '@urna/domain';
import { parseEntry } from '../packages/log/src/redis-fields.ts';
import { TallyKeys } from '@urna/tally';

/**
 * For a failing test only: explains how an election's live tally differs from the reference
 * rule applied to the Redis log itself (every entry of every partition, read with XRANGE).
 * Names each user whose counted vote differs, with all of that user's log entries and the
 * partition's close marker, plus the live model's close hashes. Returns printable lines.
 */
export async function explainLiveDiff(redisUrl: string, logPrefix: string, partitions: number, electionId: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  try {
    const keys = new TallyKeys(65_536);
    const votes: LoggedVote[] = [];
    const markers: LoggedCloseMarker[] = [];
    for (let p = 0; p < partitions; p++) {
      const entries = (await redis.xrange(`${logPrefix}:${p}`, '-', '+')) as Array<[string, string[]]>;
      for (const [id, fields] of entries) {
        const record = parseEntry(p, id, fields);
        if (isCloseMarker(record)) {
          if (record.marker.electionId === electionId) markers.push(record);
        } else if (record.vote.electionId === electionId) votes.push(record);
      }
    }
    const reference = countedVotes(votes, markers);
    const lines: string[] = [`log: ${votes.length} votes, ${markers.length} markers; reference counts ${reference.size}`];
    const closeAt = new Map<number, string>();
    for (const m of markers) if ((closeAt.get(m.partition) ?? '~') > m.position) closeAt.set(m.partition, m.position);
    lines.push(`close markers in the log: ${JSON.stringify(markers.map((m) => `${m.partition}@${m.position}`))}`);
    const perPartition = Array.from({ length: partitions }, (_, p) => votes.filter((v) => v.partition === p).length);
    lines.push(`votes in the log per partition: ${JSON.stringify(perPartition)}`);
    lines.push(`live close: ${JSON.stringify(await redis.hgetall(keys.close(electionId)))}`);
    lines.push(`live close-passed: ${JSON.stringify(await redis.hgetall(keys.closePassed(electionId)))}`);
    lines.push(`live counts now: ${JSON.stringify(await redis.hgetall(keys.counts(electionId)))}`);
    lines.push(`live meta: ${JSON.stringify(await redis.hgetall(keys.meta(electionId)))}`);
    lines.push(`live at close: ${await redis.get(keys.liveAtClose(electionId))}`);
    const users = new Set(votes.map((v) => v.vote.userId));
    for (const userId of users) {
      const live = await redis.hget(keys.marker(electionId, userId), userId);
      const ref = reference.get(`${electionId}\u0000${userId}`);
      const expected = ref === undefined ? null : `${ref.position}|${ref.vote.voteId}|${ref.vote.optionId}`;
      if (live === expected) continue;
      const own = votes
        .filter((v) => v.vote.userId === userId)
        .map(
          (v) =>
            `${v.partition}@${v.position} ${v.vote.optionId} ${v.vote.voteId}${isAfterClose(v.position, closeAt.get(v.partition)) ? ' after-close' : ''}`,
        );
      lines.push(`user ${userId}: live ${live ?? '-'} · reference ${expected ?? '-'} · log ${JSON.stringify(own)}`);
    }
    return lines;
  } finally {
    redis.disconnect();
  }
}
