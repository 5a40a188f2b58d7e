/**
 * C2SP signed notes (c2sp.org/signed-note): the text (ending in '\n'), a blank line, then one
 * or more lines `— <key name> <base64(4-byte big-endian key ID ‖ signature)>\n`.
 * Only Ed25519 (signature type 0x01) keys are supported, which is all urna signs with.
 */
import { TransparencyErrors } from './errors.ts';
import { isValidKeyName, type NoteSigner, type NoteVerifier } from './keys.ts';

const EM_DASH = '\u2014';
/** Verifiers must accept at least 16 (C2SP); Go's sumdb/note rejects more than 100. */
export const MAX_SIGNATURES = 100;

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly base64: string;
}

export interface OpenedNote {
  readonly text: string;
  /** Signatures by known keys, all verified. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by keys the caller does not know: ignored, as the spec requires. */
  readonly unknown: readonly NoteSignature[];
}

function checkNoteChars(note: string): void {
  if (Buffer.from(note, 'utf8').toString('utf8') !== note) throw TransparencyErrors.invalidNote('note is not valid UTF-8');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw TransparencyErrors.invalidNote('note contains a control character');
}

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (text.length === 0 || !text.endsWith('\n')) throw TransparencyErrors.invalidNote('note text must end with a newline');
  checkNoteChars(text);
  if (signers.length === 0) throw TransparencyErrors.invalidNote('a note needs at least one signature');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((signer) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(signer.keyId);
    return `${EM_DASH} ${signer.name} ${Buffer.concat([id, signer.sign(message)]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

function parseSignatureLine(line: string): NoteSignature & { bytes: Buffer } {
  const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
  if (match === null) throw TransparencyErrors.invalidNote('malformed signature line');
  const [, name, base64] = match as unknown as [string, string, string];
  if (!isValidKeyName(name)) throw TransparencyErrors.invalidNote('malformed signature line');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 5 || bytes.toString('base64') !== base64) throw TransparencyErrors.invalidNote('malformed signature');
  return { name, keyId: bytes.readUInt32BE(0), base64, bytes };
}

/**
 * Splits and verifies a note. A known key is one of `verifiers` with the same name AND key ID;
 * signatures by other keys are ignored. Throws INVALID_NOTE if the note is malformed, if a
 * signature by a known key does not verify, or if no known key signed it.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  checkNoteChars(note);
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw TransparencyErrors.invalidNote('malformed note');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw TransparencyErrors.invalidNote('too many signatures');
  const known = new Map(verifiers.map((v) => [`${v.name}+${v.keyId}`, v]));
  const message = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const line of lines) {
    const { bytes, ...signature } = parseSignatureLine(line);
    const verifier = known.get(`${signature.name}+${signature.keyId}`);
    if (verifier === undefined) {
      unknown.push(signature);
      continue;
    }
    if (!verifier.verify(message, bytes.subarray(4))) {
      throw TransparencyErrors.invalidNote(`invalid signature for key ${signature.name}+${signature.keyId.toString(16).padStart(8, '0')}`);
    }
    if (!verified.some((s) => s.name === signature.name && s.keyId === signature.keyId)) verified.push(signature);
  }
  if (verified.length === 0) throw TransparencyErrors.invalidNote('note has no verifiable signatures');
  return { text, verified, unknown };
}
