/**
 * The records of an election's transparency export (NDJSON, one record per line), in the
 * order urna writes them: every leaf of every partition (ascending partition, then index),
 * then one final checkpoint per partition, the log key, the official result and the
 * reconciliation. docs/transparency.md specifies each field; `urna verify` reads them.
 */
export interface LeafRecord {
  readonly type: 'leaf';
  readonly partition: number;
  readonly index: number;
  readonly leaf: string;
}

export interface CheckpointRecord {
  readonly type: 'checkpoint';
  readonly partition: number;
  readonly note: string;
}

export interface KeyRecord {
  readonly type: 'key';
  readonly name: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  readonly publicKey: string;
  readonly vkey: string;
}

/** The official result as the API serves it; the verifier reads `electionId`, `counts` and `total`. */
export interface ResultRecord {
  readonly type: 'result';
  readonly electionId: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly [extra: string]: unknown;
}

/** The reconciliation as the API serves it; the verifier compares the four numbers it finds. */
export interface ReconciliationRecord {
  readonly type: 'reconciliation';
  readonly electionId: string;
  readonly accepted: number;
  readonly counted: number;
  readonly duplicates: number;
  readonly afterClose: number;
  readonly [extra: string]: unknown;
}

/**
 * Hidden results only (commit before reveal): `commitment` = SHA-256 over the UTF-8 bytes of
 * `result`, then of `reconciliation`, then the 32 bytes of `nonce` (hex), published before the
 * counts were revealed. `result` is the official result's JSON text; `reconciliation` the
 * reconciliation's text at the commitment.
 */
export interface CommitmentRecord {
  readonly type: 'commitment';
  readonly electionId: string;
  readonly algorithm: string;
  readonly commitment: string;
  readonly nonce: string;
  readonly result: string;
  readonly reconciliation: string;
}

export type ExportRecord = LeafRecord | CheckpointRecord | KeyRecord | ResultRecord | ReconciliationRecord | CommitmentRecord;

export const toNdjsonLine = (record: ExportRecord): string => `${JSON.stringify(record)}\n`;
