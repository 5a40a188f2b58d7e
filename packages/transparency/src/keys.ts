/**
 * Ed25519 log keys in the C2SP signed-note / Go sumdb/note encodings:
 *   key ID    = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4], big-endian uint32
 *   vkey      = <name>+<key ID as 8 hex>+<base64(0x01 ‖ public key)>
 *   skey      = PRIVATE+KEY+<name>+<key ID as 8 hex>+<base64(0x01 ‖ 32-byte seed)>
 * Names are non-empty and contain no Unicode space and no '+'.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import sodium from 'sodium-native';
import { TransparencyErrors } from './errors.ts';

export const ED25519_TYPE = 0x01;
const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  readonly vkey: string;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner extends NoteVerifier {
  readonly skey: string;
  sign(message: Uint8Array): Buffer;
}

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

export function keyIdOf(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_TYPE]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

function decodeCanonicalBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** name, key ID and typed key bytes of `<name>+<hex>+<base64>` (the base64 may contain '+'). */
function splitKey(text: string): { name: string; keyId: number; typed: Buffer } {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw TransparencyErrors.invalidKey('a key is <name>+<key id>+<base64 key>');
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  const typed = decodeCanonicalBase64(text.slice(second + 1));
  if (!isValidKeyName(name)) throw TransparencyErrors.invalidKey('key name is empty or contains a space or +');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw TransparencyErrors.invalidKey('key id is not 8 lowercase hex digits');
  if (typed === undefined || typed.length !== 33 || typed[0] !== ED25519_TYPE) {
    throw TransparencyErrors.invalidKey('key is not base64 of 0x01 followed by 32 bytes (Ed25519)');
  }
  return { name, keyId: Number.parseInt(idHex, 16), typed };
}

export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw TransparencyErrors.invalidKey('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

export function verifierFromPublicKey(name: string, publicKey: Uint8Array): NoteVerifier {
  if (!isValidKeyName(name)) throw TransparencyErrors.invalidKey('key name is empty or contains a space or +');
  const keyObject = publicKeyObject(publicKey);
  const raw = Buffer.from(publicKey);
  const keyId = keyIdOf(name, raw);
  return {
    name,
    keyId,
    publicKey: raw,
    vkey: `${name}+${hex8(keyId)}+${Buffer.concat([Buffer.from([ED25519_TYPE]), raw]).toString('base64')}`,
    verify: (message, signature) => signature.length === 64 && verify(null, message, keyObject, signature),
  };
}

export function verifierFromVkey(vkey: string): NoteVerifier {
  const { name, keyId, typed } = splitKey(vkey);
  const verifier = verifierFromPublicKey(name, typed.subarray(1));
  if (verifier.keyId !== keyId) throw TransparencyErrors.invalidKey('key id does not match the name and key');
  return verifier;
}

export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  if (seed.length !== 32) throw TransparencyErrors.invalidKey('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const verifier = verifierFromPublicKey(name, spki.subarray(SPKI_PREFIX.length));
  const typedSeed = Buffer.concat([Buffer.from([ED25519_TYPE]), seed]).toString('base64');
  return {
    ...verifier,
    skey: `PRIVATE+KEY+${name}+${hex8(verifier.keyId)}+${typedSeed}`,
    sign: ed25519Signer(seed),
  };
}

/**
 * Signs with libsodium (sodium-native) rather than node:crypto: the same deterministic Ed25519
 * signature (RFC 8032) at about half the CPU (23 vs 45 µs here), and ingest signs one receipt
 * per 202 — the largest single cost of its vote path (docs/benchmarks.md, "issue 12, hot path").
 */
function ed25519Signer(seed: Uint8Array): (message: Uint8Array) => Buffer {
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(seed));
  return (message) => {
    const signature = Buffer.allocUnsafe(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(signature, Buffer.from(message.buffer, message.byteOffset, message.byteLength), secretKey);
    return signature;
  };
}

export function signerFromSkey(skey: string): NoteSigner {
  const prefix = 'PRIVATE+KEY+';
  if (!skey.startsWith(prefix)) throw TransparencyErrors.invalidKey('a signer key starts with PRIVATE+KEY+');
  const { name, keyId, typed } = splitKey(skey.slice(prefix.length));
  const signer = signerFromSeed(name, typed.subarray(1));
  if (signer.keyId !== keyId) throw TransparencyErrors.invalidKey('key id does not match the name and key');
  return signer;
}

export function generateSigner(name: string): NoteSigner {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return signerFromSeed(name, pkcs8.subarray(PKCS8_SEED_PREFIX.length));
}
