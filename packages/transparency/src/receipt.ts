/**
 * Signed receipts: urna's promise, given with the 202, to include a vote in its partition's
 * log. The signature is base64 Ed25519 by the log key over the UTF-8 lines
 *   urna-receipt-v1, electionId, partition, position, voteId, pseudonym, optionId, acceptedAt
 * joined by '\n' (no trailing newline); acceptedAt is epoch milliseconds in decimal.
 */
import type { NoteSigner, NoteVerifier } from './keys.ts';

export const RECEIPT_VERSION = 'urna-receipt-v1';

export interface ReceiptFields {
  readonly electionId: string;
  readonly voteId: string;
  readonly pseudonym: string;
  readonly optionId: string;
  readonly partition: number;
  readonly position: string;
  readonly acceptedAt: number;
}

export interface Receipt extends ReceiptFields {
  readonly signature: string;
}

export function receiptSigningString(r: ReceiptFields): string {
  const fields = [r.electionId, String(r.partition), r.position, r.voteId, r.pseudonym, r.optionId, String(r.acceptedAt)];
  if (fields.some((f) => f.length === 0 || f.includes('\n'))) throw new RangeError('receipt fields are non-empty single lines');
  if (!Number.isSafeInteger(r.acceptedAt) || !Number.isSafeInteger(r.partition)) throw new RangeError('receipt numbers are integers');
  return [RECEIPT_VERSION, ...fields].join('\n');
}

export function signReceipt(signer: NoteSigner, fields: ReceiptFields): Receipt {
  const signature = signer.sign(Buffer.from(receiptSigningString(fields), 'utf8')).toString('base64');
  return {
    electionId: fields.electionId,
    voteId: fields.voteId,
    pseudonym: fields.pseudonym,
    optionId: fields.optionId,
    partition: fields.partition,
    position: fields.position,
    acceptedAt: fields.acceptedAt,
    signature,
  };
}

export function verifyReceipt(verifier: NoteVerifier, receipt: Receipt): boolean {
  const signature = Buffer.from(receipt.signature, 'base64');
  if (signature.toString('base64') !== receipt.signature) return false;
  let message: string;
  try {
    message = receiptSigningString(receipt);
  } catch {
    return false;
  }
  return verifier.verify(Buffer.from(message, 'utf8'), signature);
}
