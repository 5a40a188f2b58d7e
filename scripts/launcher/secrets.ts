import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateDevKeys, type DevKeys } from '@urna/auth';
import { generateSigner } from '@urna/transparency';

export interface EmbeddedSecrets {
  readonly dev: DevKeys;
  /** base64url secret of urna's voting tokens. */
  readonly votingSecret: string;
  /** The transparency log's signer key (C2SP skey) and the root of its pseudonym secrets (base64url). */
  readonly transparency: { readonly skey: string; readonly vkey: string; readonly pseudonymSecret: string };
}

/** The log key's name in the embedded default (a deployment names its own in URNA_TRANSPARENCY_KEY). */
export const EMBEDDED_LOG_KEY_NAME = 'urna.localhost/log';

const transparencySecrets = (): EmbeddedSecrets['transparency'] => {
  const signer = generateSigner(EMBEDDED_LOG_KEY_NAME);
  return { skey: signer.skey, vkey: signer.vkey, pseudonymSecret: randomBytes(32).toString('base64url') };
};

/**
 * Keys of the embedded default, made once and kept under the data dir (tokens, pseudonyms and
 * the log key survive restarts). A file from before the transparency log gains its keys once.
 */
export async function loadOrCreateSecrets(path: string): Promise<EmbeddedSecrets> {
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<EmbeddedSecrets> & Omit<EmbeddedSecrets, 'transparency'>;
    if (stored.transparency !== undefined) return stored as EmbeddedSecrets;
    const upgraded: EmbeddedSecrets = { ...stored, transparency: transparencySecrets() };
    writeFileSync(path, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const secrets: EmbeddedSecrets = {
    dev: await generateDevKeys(),
    votingSecret: randomBytes(32).toString('base64url'),
    transparency: transparencySecrets(),
  };
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
