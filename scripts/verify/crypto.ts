/**
 * The verifier's own cryptography, written apart from packages/transparency on purpose so that
 * a bug there is not repeated here: RFC 9162 hashing with a stack of complete subtrees, C2SP
 * signed-note parsing and Ed25519 verification with node:crypto, and the vkey encoding.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

export function hashLeaf(text: string): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(text, 'utf8')
    .digest();
}

function hashChildren(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

/** MTH of a sequence of leaf hashes: merge equal-height subtrees as they complete, then fold right to left. */
export class TreeHasher {
  readonly #stack: Array<{ hash: Buffer; height: number }> = [];
  size = 0;

  push(leafHash: Buffer): void {
    let node = { hash: leafHash, height: 0 };
    let top = this.#stack[this.#stack.length - 1];
    while (top !== undefined && top.height === node.height) {
      this.#stack.pop();
      node = { hash: hashChildren(top.hash, node.hash), height: node.height + 1 };
      top = this.#stack[this.#stack.length - 1];
    }
    this.#stack.push(node);
    this.size += 1;
  }

  root(): Buffer {
    if (this.#stack.length === 0) return createHash('sha256').digest();
    let acc = (this.#stack[this.#stack.length - 1] as { hash: Buffer }).hash;
    for (let i = this.#stack.length - 2; i >= 0; i -= 1) acc = hashChildren((this.#stack[i] as { hash: Buffer }).hash, acc);
    return acc;
  }
}

export interface TrustedKey {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Buffer;
  readonly vkey: string;
}

const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

function keyIdOf(name: string, publicKey: Buffer): number {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([1]), publicKey]))
    .digest()
    .readUInt32BE(0);
}

/** `<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte Ed25519 key)>`; throws Error with a reason. */
export function parseVkey(vkey: string): TrustedKey {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})$/.exec(vkey);
  if (m === null) throw new Error(`not a verifier key: ${JSON.stringify(vkey)}`);
  const [, name, idHex, b64] = m as unknown as [string, string, string, string];
  const typed = Buffer.from(b64, 'base64');
  if (typed.length !== 33 || typed[0] !== 1 || typed.toString('base64') !== b64)
    throw new Error('verifier key is not an Ed25519 (0x01) key');
  const publicKey = typed.subarray(1);
  if (keyIdOf(name, publicKey) !== Number.parseInt(idHex, 16)) throw new Error('verifier key id does not match its name and key');
  return { name, keyId: Number.parseInt(idHex, 16), publicKey, vkey };
}

export interface OpenedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
}

/**
 * Opens a checkpoint note: text up to the last blank line, signature lines after it. Returns
 * the parsed checkpoint if `key` (same name and key ID) signed it validly, otherwise a reason.
 */
export function openCheckpointNote(note: string, key: TrustedKey): OpenedCheckpoint | string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return 'the note contains a control character';
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) return 'the note is malformed';
  const text = note.slice(0, cut + 1);
  let signed = false;
  for (const line of note.slice(cut + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (m === null) return 'the note has a malformed signature line';
    const sig = Buffer.from(m[2] as string, 'base64');
    if (m[1] !== key.name || sig.length < 4 || sig.readUInt32BE(0) !== key.keyId) continue;
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519, key.publicKey]), format: 'der', type: 'spki' });
    if (sig.length !== 68 || !verify(null, Buffer.from(text, 'utf8'), publicKey, sig.subarray(4)))
      return `the signature by ${key.name} does not verify`;
    signed = true;
  }
  if (!signed) return `no signature by the trusted key ${key.name}+${key.keyId.toString(16).padStart(8, '0')}`;
  const lines = text.slice(0, -1).split('\n');
  const [origin, size, root] = lines;
  if (lines.length < 3 || origin === undefined || size === undefined || root === undefined || !/^(0|[1-9][0-9]*)$/.test(size)) {
    return 'the checkpoint text is not origin, size, root';
  }
  const rootBytes = Buffer.from(root, 'base64');
  if (rootBytes.length !== 32 || rootBytes.toString('base64') !== root) return 'the checkpoint root is not 32 bytes of base64';
  return { origin, size: Number(size), root: rootBytes };
}
