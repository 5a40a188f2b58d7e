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
