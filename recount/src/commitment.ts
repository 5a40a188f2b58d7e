import { createHash, randomBytes } from 'node:crypto';

/**
 * Commit before reveal, for elections with hidden results (issue 11). When the recount has
 * computed the official result and its reconciliation, it publishes
 *   commitment = SHA-256(result ‖ reconciliation ‖ nonce)
 * (the UTF-8 bytes of the two JSON documents exactly as the recount wrote them, then the 32
 * random nonce bytes), lets the transparency projection cut the final checkpoints, and only
 * then reveals: the official result is published and the opening (nonce, result and
 * reconciliation bytes) is served with the commitment. Anyone can recompute the hash.
 */
export const COMMITMENT_ALGORITHM = 'sha256(result || reconciliation || nonce)';

export interface CommitmentDocument {
  readonly electionId: string;
  readonly algorithm: typeof COMMITMENT_ALGORITHM;
  /** Lowercase hex. */
  readonly commitment: string;
}

export interface OpeningDocument {
  /** 32 bytes, lowercase hex. */
  readonly nonce: string;
  /** The official result's JSON text, byte for byte. */
  readonly result: string;
  /** The reconciliation's JSON text at the commitment (a late vote re-reconciled later changes the served one, never the result). */
  readonly reconciliation: string;
}

export function commitmentOf(result: string, reconciliation: string, nonce: Buffer): string {
  return createHash('sha256').update(Buffer.from(result, 'utf8')).update(Buffer.from(reconciliation, 'utf8')).update(nonce).digest('hex');
}

/** A fresh commitment and its opening, as JSON texts. */
export function makeCommitment(electionId: string, result: string, reconciliation: string): { commitment: string; opening: string } {
  const nonce = randomBytes(32);
  const commitment: CommitmentDocument = {
    electionId,
    algorithm: COMMITMENT_ALGORITHM,
    commitment: commitmentOf(result, reconciliation, nonce),
  };
  const opening: OpeningDocument = { nonce: nonce.toString('hex'), result, reconciliation };
  return { commitment: JSON.stringify(commitment), opening: JSON.stringify(opening) };
}
