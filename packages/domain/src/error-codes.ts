/**
 * Every error code urna answers with, and its HTTP status: `{"error":{"code","message"}}`.
 * Codes are a public contract: add new ones, never rename or reuse one. This module imports
 * nothing, so the web pages can import it too (`@urna/domain/error-codes`).
 */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_BODY: 400,
  UNKNOWN_OPTION: 400,
  /** Transparency (packages/transparency): malformed keys, notes, checkpoints; sizes beyond a tree. */
  INVALID_KEY: 400,
  INVALID_NOTE: 400,
  INVALID_CHECKPOINT: 400,
  TREE_SIZE_OUT_OF_RANGE: 400,
  AUTH_REQUIRED: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  /** Proof-of-work per vote (ALTCHA, `X-Altcha`): missing, not valid for this voter/election, used before. */
  CHALLENGE_REQUIRED: 403,
  CHALLENGE_INVALID: 403,
  CHALLENGE_REPLAYED: 403,
  NOT_FOUND: 404,
  ELECTION_NOT_FOUND: 404,
  NO_VOTES: 404,
  JOB_NOT_FOUND: 404,
  /** Transparency endpoints: no leaf for this vote in a published checkpoint yet; no such partition; no checkpoint of that size. */
  PROOF_NOT_FOUND: 404,
  PARTITION_NOT_FOUND: 404,
  CHECKPOINT_NOT_FOUND: 404,
  ELECTION_EXISTS: 409,
  ELECTION_NOT_OPEN: 409,
  INVALID_TRANSITION: 409,
  /** Lifecycle (recount/): no official result yet; the recount waits for the projections to pass the close markers. */
  RESULT_NOT_FINAL: 409,
  RECOUNT_NOT_READY: 409,
  /** A Merkle tree or checkpoint writer lost a conditional write; re-read and retry. */
  TREE_SIZE_CONFLICT: 409,
  CHECKPOINT_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Answered by the edge's per-address limits and by ingest's rate limits (with Retry-After). */
  RATE_LIMITED: 429,
  INTERNAL: 500,
  LOG_MISCONFIGURED: 500,
  LOG_MALFORMED_ENTRY: 500,
  STORE_CORRUPT_ITEM: 500,
  STORE_PARTITION_MISMATCH: 500,
  TALLY_UNEXPECTED_REPLY: 500,
  /** A stored Merkle subtree would be rewritten with other bytes, or is missing: integrity alarm. */
  TREE_NODE_CONFLICT: 500,
  TREE_NODE_MISSING: 500,
  /** The transparency projection got a record after later ones of its partition (it cannot append it in order). */
  TREE_OUT_OF_ORDER: 500,
  LOG_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  TALLY_UNAVAILABLE: 503,
  /** The edge cannot reach the service behind a route; results-sse is at its stream limit. */
  SERVICE_UNAVAILABLE: 503,
  /** The gateway has no built web pages to serve (`npm run build -w web`). */
  WEB_NOT_BUILT: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (value: string): value is ErrorCode => Object.hasOwn(ERROR_CODES, value);
