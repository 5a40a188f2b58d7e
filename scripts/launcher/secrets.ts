import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateDevKeys, type DevKeys } from '@urna/auth';
import { generateSigner } from '@urna/transparency';

export interface EmbeddedSecrets {
  readonly dev: DevKeys;
  /** base64url secret of urna's voting tokens. */
  readonly votingSecret: string;
  /** base64url HMAC key of log records (URNA_LOG_SIGNING_KEY). */
  readonly logSigningKey: string;
  /** The embedded redis-server's password (requirepass). */
  readonly redisPassword: string;
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
 * the log keys survive restarts). A file from an earlier version gets the keys it lacks added,
 * the others kept.
 */
export async function loadOrCreateSecrets(path: string): Promise<EmbeddedSecrets> {
  const stored = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<EmbeddedSecrets>) : {};
  const secrets: EmbeddedSecrets = {
    dev: stored.dev ?? (await generateDevKeys()),
    votingSecret: stored.votingSecret ?? randomBytes(32).toString('base64url'),
    logSigningKey: stored.logSigningKey ?? randomBytes(32).toString('base64url'),
    redisPassword: stored.redisPassword ?? randomBytes(24).toString('base64url'),
    transparency: stored.transparency ?? transparencySecrets(),
  };
  if (Object.keys(stored).length < Object.keys(secrets).length) writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
