import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateDevKeys, type DevKeys } from '@urna/auth';

export interface EmbeddedSecrets {
  readonly dev: DevKeys;
  /** base64url secret of urna's voting tokens. */
  readonly votingSecret: string;
}

/** Keys of the embedded default, made once and kept under the data dir (tokens survive restarts). */
export async function loadOrCreateSecrets(path: string): Promise<EmbeddedSecrets> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as EmbeddedSecrets;
  const secrets: EmbeddedSecrets = { dev: await generateDevKeys(), votingSecret: randomBytes(32).toString('base64url') };
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
