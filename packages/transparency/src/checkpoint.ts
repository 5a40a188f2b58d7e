/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint) notes. The text is
 *   <origin>\n<tree size, decimal, no leading zeroes>\n<base64 RFC 9162 root>\n[extension lines\n]
 * and is signed as a signed note. urna's origins are `urna/<electionId>/<partition>`.
 */
import { TransparencyErrors } from './errors.ts';
import { HASH_SIZE } from './hash.ts';
import type { NoteSigner, NoteVerifier } from './keys.ts';
import { openNote, signNote } from './note.ts';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions?: readonly string[];
}

export const originOf = (electionId: string, partition: number): string => `urna/${electionId}/${partition}`;

export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  if (origin.length === 0 || /\s/u.test(origin)) throw TransparencyErrors.invalidCheckpoint('origin is empty or has a space');
  if (!Number.isSafeInteger(size) || size < 0) throw TransparencyErrors.invalidCheckpoint('tree size is not a non-negative integer');
  if (root.length !== HASH_SIZE) throw TransparencyErrors.invalidCheckpoint('root is not 32 bytes');
  if (extensions.some((line) => line.length === 0 || line.includes('\n'))) {
    throw TransparencyErrors.invalidCheckpoint('extension lines are non-empty single lines');
  }
  const lines = [origin, String(size), Buffer.from(root).toString('base64'), ...extensions];
  return `${lines.join('\n')}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw TransparencyErrors.invalidCheckpoint('checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((line) => line.length === 0)) {
    throw TransparencyErrors.invalidCheckpoint('a checkpoint has at least three non-empty lines');
  }
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw TransparencyErrors.invalidCheckpoint(`tree size ${JSON.stringify(sizeText)} is not canonical decimal`);
  }
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText) {
    throw TransparencyErrors.invalidCheckpoint('root is not the base64 of 32 bytes');
  }
  return { origin, size: Number(sizeText), root, extensions };
}

export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), [signer]);
}

/** Verifies the note (see openNote) and parses its text; `origin`, if given, must match. */
export function openCheckpoint(note: string, verifiers: readonly NoteVerifier[], origin?: string): Checkpoint {
  const { text } = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw TransparencyErrors.invalidCheckpoint(`origin is ${checkpoint.origin}, expected ${origin}`);
  }
  return checkpoint;
}
