import type { LoggedVote, Vote } from '@urna/domain';
import { LogErrors } from './errors.ts';

/** Stream entry fields of a vote: short names, since every byte is stored per vote. */
export function voteFields(vote: Vote): string[] {
  return ['i', vote.voteId, 'e', vote.electionId, 'u', vote.userId, 'o', vote.optionId, 't', String(vote.acceptedAt)];
}

/** "1732490000000-5" → "000001732490000000-0000000005": sorts as the log orders. */
export function positionOfStreamId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash).padStart(18, '0')}-${id.slice(dash + 1).padStart(10, '0')}`;
}

export function parseEntry(partition: number, id: string, fields: unknown): LoggedVote {
  if (!Array.isArray(fields)) throw LogErrors.malformedEntry(`${partition}/${id}`);
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

/** Parses an XREADGROUP reply: [[key, [[id, fields], …]], …] or null. */
export function parseReadReply(reply: unknown, partitionOfKey: ReadonlyMap<string, number>): Array<{ record: LoggedVote; id: string }> {
  const out: Array<{ record: LoggedVote; id: string }> = [];
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
