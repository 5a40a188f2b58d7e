import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

/**
 * Base error of every urna package. Each package defines its own codes on top of it
 * (see `errors.ts` in each package) from the one list of codes in `error-codes.ts`, which gives
 * each code its HTTP status; HTTP services map `status` straight to the response.
 * `code` is stable and machine-readable; `message` is for humans; `retriable` tells a
 * client or a worker loop whether the same request may succeed later.
 */
export interface UrnaErrorOptions {
  /** @defaultValue the code's status in ERROR_CODES (only BAD_REQUEST carries another 4xx). */
  readonly status?: number;
  readonly retriable?: boolean;
  readonly cause?: unknown;
  readonly retryAfterSeconds?: number;
}

export class UrnaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: UrnaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UrnaError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code];
    this.retriable = options.retriable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** A configuration that cannot run; every issue names its key (e.g. `URNA_PARTITIONS: expected a number`). */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const isUrnaError = (value: unknown): value is UrnaError => value instanceof UrnaError;

/** Domain-level errors: input that breaks the rules of elections and votes. */
export const DomainErrors = {
  invalidBody: (message: string) => new UrnaError('INVALID_BODY', message),
  unknownOption: (optionId: string) => new UrnaError('UNKNOWN_OPTION', `option "${optionId}" is not part of this election`),
  electionNotFound: (id: string) => new UrnaError('ELECTION_NOT_FOUND', `election "${id}" does not exist`),
  electionExists: (id: string) => new UrnaError('ELECTION_EXISTS', `election "${id}" already exists`),
  electionNotOpen: (id: string, status: string) => new UrnaError('ELECTION_NOT_OPEN', `election "${id}" is ${status}, not open`),
  invalidTransition: (id: string, from: string, to: string) =>
    new UrnaError('INVALID_TRANSITION', `election "${id}" cannot go from ${from} to ${to}`),
  /** A schedule change the election's state refuses (409 INVALID_TRANSITION, nothing changed). */
  scheduleRefused: (id: string, why: string) => new UrnaError('INVALID_TRANSITION', `election "${id}" cannot be rescheduled: ${why}`),
  closeTimePassed: (id: string, closesAt: string) =>
    new UrnaError(
      'INVALID_TRANSITION',
      `election "${id}" cannot open: its closesAt ${closesAt} has passed; move or remove it first (POST …/schedule)`,
    ),
  noVotes: (id: string) => new UrnaError('NO_VOTES', `you have no accepted vote in election "${id}"`),
  rateLimited: (rule: string, retryAfterSeconds: number) =>
    new UrnaError('RATE_LIMITED', `too many requests (${rule} limit); retry after ${retryAfterSeconds} s`, {
      retriable: true,
      retryAfterSeconds,
    }),
  challengeRequired: () =>
    new UrnaError('CHALLENGE_REQUIRED', 'this election requires a proof-of-work: GET …/challenge, solve it, send it in X-Altcha'),
  challengeInvalid: (why: string) => new UrnaError('CHALLENGE_INVALID', `the proof-of-work is not valid: ${why}`),
  challengeReplayed: () => new UrnaError('CHALLENGE_REPLAYED', 'this proof-of-work was already used; get a new challenge'),
  resultNotFinal: (id: string) => new UrnaError('RESULT_NOT_FINAL', `election "${id}" has no official result yet`),
  jobNotFound: (id: string) => new UrnaError('JOB_NOT_FOUND', `job "${id}" does not exist`),
} as const;
