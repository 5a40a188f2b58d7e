import type { LoggedCloseMarker, LogRecord, Vote } from '@urna/domain';
import { LogErrors } from './errors.ts';

/** Separates a vote's values in its one stream field: a control character, which no id may contain. */
const SEP = '\x1f';

/**
 * Stream entry fields of a vote: one field `v` holding `voteId␟electionId␟userId␟optionId␟acceptedAt`,
 * then `␟signature` on a signed log. One field instead of five cuts what ingest serialises per
 * XADD and what workers parse per entry (measured in docs/benchmarks.md); entries written with
 * the earlier five fields still parse (unsigned).
 */
export function voteFields(vote: Vote): string[] {
  const value = `${vote.voteId}${SEP}${vote.electionId}${SEP}${vote.userId}${SEP}${vote.optionId}${SEP}${vote.acceptedAt}`;
  return ['v', vote.signature === undefined ? value : `${value}${SEP}${vote.signature}`];
}

/** Stream entry fields of a close marker: one field `c` holding `electionId␟closedAt[␟signature]`. */
export function closeMarkerFields(electionId: string, closedAt: number, signature?: string): string[] {
  return ['c', signature === undefined ? `${electionId}${SEP}${closedAt}` : `${electionId}${SEP}${closedAt}${SEP}${signature}`];
}

/** "1732490000000-5" → "000001732490000000-0000000005": sorts as the log orders. */
export function positionOfStreamId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash).padStart(18, '0')}-${id.slice(dash + 1).padStart(10, '0')}`;
}

export function parseEntry(partition: number, id: string, fields: unknown): LogRecord {
  if (!Array.isArray(fields)) throw LogErrors.malformedEntry(`${partition}/${id}`);
  if (fields.length === 2 && fields[0] === 'c' && typeof fields[1] === 'string') return parseMarker(partition, id, fields[1]);
  if (fields.length === 2 && fields[0] === 'v' && typeof fields[1] === 'string') {
    const [voteId, electionId, userId, optionId, at, signature, extra] = fields[1].split(SEP);
    const acceptedAt = Number(at);
    if (
      voteId === undefined ||
      electionId === undefined ||
      userId === undefined ||
      optionId === undefined ||
      extra !== undefined ||
      !Number.isFinite(acceptedAt)
    ) {
      throw LogErrors.malformedEntry(`${partition}/${id}`);
    }
    const vote = { voteId, electionId, userId, optionId, acceptedAt, ...(signature === undefined ? {} : { signature }) };
    return { vote, partition, position: positionOfStreamId(id) };
  }
  // the five-field layout of earlier versions
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), String(fields[i + 1]));
  const voteId = map.get('i');
  const electionId = map.get('e');
  const userId = map.get('u');
  const optionId = map.get('o');
  const acceptedAt = Number(map.get('t'));
  if (voteId === undefined || electionId === undefined || userId === undefined || optionId === undefined || !Number.isFinite(acceptedAt)) {
    throw LogErrors.malformedEntry(`${partition}/${id}`);
  }
  return { vote: { voteId, electionId, userId, optionId, acceptedAt }, partition, position: positionOfStreamId(id) };
}

function parseMarker(partition: number, id: string, value: string): LoggedCloseMarker {
  const [electionId, at, signature, extra] = value.split(SEP);
  const closedAt = Number(at);
  if (electionId === undefined || extra !== undefined || !Number.isFinite(closedAt)) throw LogErrors.malformedEntry(`${partition}/${id}`);
  const marker = { electionId, closedAt, ...(signature === undefined ? {} : { signature }) };
  return { marker, partition, position: positionOfStreamId(id) };
}

/** Parses an XREADGROUP reply: [[key, [[id, fields], …]], …] or null. */
export function parseReadReply(reply: unknown, partitionOfKey: ReadonlyMap<string, number>): Array<{ record: LogRecord; id: string }> {
  const out: Array<{ record: LogRecord; id: string }> = [];
  if (!Array.isArray(reply)) return out;
  for (const stream of reply) {
    if (!Array.isArray(stream)) continue;
    const partition = partitionOfKey.get(String(stream[0]));
    const entries: unknown = stream[1];
    if (partition === undefined || !Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry[1] === null) continue; // deleted entry in a PEL
      const id = String(entry[0]);
      out.push({ record: parseEntry(partition, id, entry[1]), id });
    }
  }
  return out;
}
