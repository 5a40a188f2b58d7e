import type { LogRecord, Vote } from '@urna/domain';
import { LogErrors } from './errors.ts';

/** Offsets are int64; 20 digits hold any of them, so padded offsets sort as the partition orders. */
const POSITION_WIDTH = 20;

/** Kafka offset (decimal string) → fixed-width position that sorts in log order. */
export function positionOfOffset(offset: string): string {
  return offset.padStart(POSITION_WIDTH, '0');
}

/** Message value of a vote: the same short field names as the Redis stream entry; `s` is the signature on a signed log. */
export function encodeVote(vote: Vote): Buffer {
  return Buffer.from(
    JSON.stringify({ i: vote.voteId, e: vote.electionId, u: vote.userId, o: vote.optionId, t: vote.acceptedAt, s: vote.signature }),
  );
}

/** Message value of a close marker: `k` tells it apart from a vote. */
export function encodeCloseMarker(electionId: string, closedAt: number, signature?: string): Buffer {
  return Buffer.from(JSON.stringify({ k: 'close', e: electionId, t: closedAt, s: signature }));
}

export function decodeMessage(partition: number, offset: string, value: Buffer | null): LogRecord {
  const where = `${partition}/${offset}`;
  let fields: unknown;
  try {
    fields = JSON.parse(value?.toString('utf8') ?? 'null');
  } catch {
    throw LogErrors.malformedEntry(where);
  }
  if (typeof fields !== 'object' || fields === null) throw LogErrors.malformedEntry(where);
  const { k, i, e, u, o, t, s } = fields as Record<string, unknown>;
  const signed = typeof s === 'string' ? { signature: s } : {};
  if (k === 'close') {
    if (typeof e !== 'string' || typeof t !== 'number') throw LogErrors.malformedEntry(where);
    return { marker: { electionId: e, closedAt: t, ...signed }, partition, position: positionOfOffset(offset) };
  }
  if (typeof i !== 'string' || typeof e !== 'string' || typeof u !== 'string' || typeof o !== 'string' || typeof t !== 'number') {
    throw LogErrors.malformedEntry(where);
  }
  const vote = { voteId: i, electionId: e, userId: u, optionId: o, acceptedAt: t, ...signed };
  return { vote, partition, position: positionOfOffset(offset) };
}
