/** The v1 API at this origin, with every failure turned into words a voter can act on. */
import { isErrorCode, type ErrorCode } from '@urna/domain/error-codes';

export interface Election {
  readonly id: string;
  readonly title: string;
  readonly options: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly status: 'draft' | 'open' | 'closed';
  readonly opensAt?: string;
  readonly closesAt?: string;
  readonly resultsVisibility?: 'live' | 'hidden';
}
export interface Snapshot {
  readonly electionId: string;
  readonly counts: Record<string, number>;
  readonly total: number;
  readonly version: number;
  readonly status?: Election['status'];
  /** True once the official recount has replaced the live counts. */
  readonly final?: boolean;
  /** `hidden`: `counts` is empty until the official result is published. */
  readonly visibility?: 'live' | 'hidden';
}
export interface Receipt {
  readonly voteId: string;
  readonly optionId: string;
  readonly status: 'pending' | 'counted' | 'rejected';
  readonly reason?: string;
}

const BUSY = 'The service is busy or restarting. It is safe to try again in a moment.';
const OUR_FAULT = 'Something went wrong on our side. Please try again.';

/** Words for every code the API answers with: a new code without words fails the type check. */
const PLAIN: Record<ErrorCode, string> = {
  ELECTION_NOT_OPEN: 'Voting is not open for this election right now.',
  RATE_LIMITED: 'Too many attempts in a short time. Wait a few seconds, then try again.',
  LOG_UNAVAILABLE: 'We could not record your vote just now. Nothing was counted twice — it is safe to try again.',
  SERVICE_UNAVAILABLE: BUSY,
  STORE_UNAVAILABLE: BUSY,
  TALLY_UNAVAILABLE: BUSY,
  WEB_NOT_BUILT: BUSY,
  AUTH_REQUIRED: 'Please sign in first.',
  INVALID_TOKEN: 'Your sign-in has expired. Please sign in again.',
  FORBIDDEN: 'Your account is not allowed to do that.',
  UNKNOWN_OPTION: 'That choice is not on this ballot.',
  ELECTION_NOT_FOUND: 'This election does not exist.',
  ELECTION_EXISTS: 'An election with this id already exists.',
  INVALID_TRANSITION: 'The election is not in a state that allows this.',
  INVALID_BODY: 'Some of the details are not valid.',
  CHALLENGE_REQUIRED: 'Your device is still preparing the vote. Please try again.',
  CHALLENGE_INVALID: "Your device's vote check was not accepted. Please try again.",
  CHALLENGE_REPLAYED: "Your device's vote check was already used. Please try again.",
  INVALID_JSON: 'Some of the details are not valid.',
  BAD_REQUEST: 'Some of the details are not valid.',
  PAYLOAD_TOO_LARGE: 'That is too much text. Please shorten it and try again.',
  URI_TOO_LONG: 'That address is too long. Please check the link.',
  UNSUPPORTED_MEDIA_TYPE: OUR_FAULT,
  NOT_FOUND: 'This page or item does not exist.',
  NO_VOTES: 'You have not voted in this election yet.',
  INTERNAL: OUR_FAULT,
  LOG_MISCONFIGURED: OUR_FAULT,
  LOG_MALFORMED_ENTRY: OUR_FAULT,
  STORE_CORRUPT_ITEM: OUR_FAULT,
  STORE_PARTITION_MISMATCH: OUR_FAULT,
  TALLY_UNEXPECTED_REPLY: OUR_FAULT,
  INVALID_KEY: 'The verification data is not valid.',
  INVALID_NOTE: 'The verification data is not valid.',
  INVALID_CHECKPOINT: 'The verification data is not valid.',
  TREE_SIZE_OUT_OF_RANGE: 'That part of the public log is not published yet. Try again in a few seconds.',
  TREE_SIZE_CONFLICT: BUSY,
  CHECKPOINT_CONFLICT: BUSY,
  TREE_NODE_CONFLICT: OUR_FAULT,
  TREE_NODE_MISSING: OUR_FAULT,
  TREE_OUT_OF_ORDER: OUR_FAULT,
  RESULT_NOT_FINAL: 'The official result is not published yet. It follows shortly after the close.',
  RECOUNT_NOT_READY: 'The official count is still running. Try again in a few seconds.',
  JOB_NOT_FOUND: 'This job does not exist.',
  PROOF_NOT_FOUND: 'This vote is not in the published log yet. Votes enter it within a few seconds; try again shortly.',
  PARTITION_NOT_FOUND: 'This part of the public log does not exist.',
  CHECKPOINT_NOT_FOUND: 'No published checkpoint has that size.',
};
const BY_STATUS: Record<number, string> = {
  409: 'Voting is closed for this election.',
  429: PLAIN.RATE_LIMITED,
  503: BUSY,
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(
      (isErrorCode(code) ? PLAIN[code] : undefined) ??
        BY_STATUS[status] ??
        (status === 0
          ? 'No connection to the server. Check your network; it is safe to try again.'
          : `Something went wrong (${status}). Please try again.`),
    );
    this.name = 'ApiError';
  }
  /** Safe to repeat: the server either did nothing or will count the vote at most once. */
  get retriable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? response.statusText);
  }
  return json as T;
}

export const percent = (n: number, total: number): string => (total === 0 ? '0%' : `${((100 * n) / total).toFixed(1)}%`);
