import { createHmac } from 'node:crypto';

/**
 * pseudonym = lowercase hex HMAC-SHA256(per-election secret, UTF-8 userId). The secret never
 * leaves urna; without it a pseudonym cannot be linked to a user id (short of guessing both).
 */
export function pseudonymOf(electionSecret: Uint8Array, userId: string): string {
  return createHmac('sha256', electionSecret).update(userId, 'utf8').digest('hex');
}

/**
 * The leaf salt of a vote: 16 bytes that look random to anyone without the secret, derived as
 * HMAC-SHA256(saltSecret, "urna-salt-v1\n" ‖ electionId ‖ "\n" ‖ voteId)[:16] so that a
 * projection rebuilt from the log after a crash writes byte-identical leaves and roots.
 * (A salt drawn at random by the projection would change the roots on every rebuild.)
 */
export function leafSaltOf(saltSecret: Uint8Array, electionId: string, voteId: string): string {
  return createHmac('sha256', saltSecret).update(`urna-salt-v1\n${electionId}\n${voteId}`, 'utf8').digest('hex').slice(0, 32);
}

export interface ElectionSecrets {
  /** Key of the election's pseudonyms (docs/transparency.md §2). */
  readonly pseudonym: Buffer;
  /** Key of the election's leaf salts. */
  readonly salt: Buffer;
}

/**
 * The per-election secrets, derived from urna's one root secret (URNA_PSEUDONYM_SECRET), so
 * ingest (receipts) and the transparency projection (leaves) agree without sharing state:
 *   pseudonym secret = HMAC-SHA256(root, electionId)
 *   salt secret      = HMAC-SHA256(root, "urna-salt-secret-v1\n" ‖ electionId)
 */
export function electionSecretsOf(root: Uint8Array, electionId: string): ElectionSecrets {
  return {
    pseudonym: createHmac('sha256', root).update(electionId, 'utf8').digest(),
    salt: createHmac('sha256', root).update(`urna-salt-secret-v1\n${electionId}`, 'utf8').digest(),
  };
}
