/**
 * Base error of every urna package. Each package defines its own codes on top of it
 * (see `errors.ts` in each package); HTTP services map `status` straight to the response.
 * `code` is stable and machine-readable; `message` is for humans; `retriable` tells a
 * client or a worker loop whether the same request may succeed later.
 */
export interface UrnaErrorOptions {
  readonly status: number;
  readonly retriable?: boolean;
  readonly cause?: unknown;
  readonly retryAfterSeconds?: number;
}

export class UrnaError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retriable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, options: UrnaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UrnaError';
    this.code = code;
    this.status = options.status;
    this.retriable = options.retriable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export const isUrnaError = (value: unknown): value is UrnaError => value instanceof UrnaError;

/** Domain-level errors: input that breaks the rules of elections and votes. */
export const DomainErrors = {
  invalidBody: (message: string) => new UrnaError('INVALID_BODY', message, { status: 400 }),
  unknownOption: (optionId: string) =>
    new UrnaError('UNKNOWN_OPTION', `option "${optionId}" is not part of this election`, { status: 400 }),
  electionNotFound: (id: string) =>
    new UrnaError('ELECTION_NOT_FOUND', `election "${id}" does not exist`, { status: 404 }),
  electionExists: (id: string) =>
    new UrnaError('ELECTION_EXISTS', `election "${id}" already exists`, { status: 409 }),
  electionNotOpen: (id: string, status: string) =>
    new UrnaError('ELECTION_NOT_OPEN', `election "${id}" is ${status}, not open`, { status: 409 }),
  invalidTransition: (id: string, from: string, to: string) =>
    new UrnaError('INVALID_TRANSITION', `election "${id}" cannot go from ${from} to ${to}`, { status: 409 }),
  noVotes: (id: string) =>
    new UrnaError('NO_VOTES', `you have no accepted vote in election "${id}"`, { status: 404 }),
  resultNotFinal: (id: string) =>
    new UrnaError('RESULT_NOT_FINAL', `election "${id}" has no official result yet`, { status: 409 }),
  scheduleLocked: (id: string, status: string) =>
    new UrnaError('INVALID_TRANSITION', `election "${id}" is ${status}: its schedule can no longer change`, { status: 409 }),
  jobNotFound: (id: string) =>
    new UrnaError('JOB_NOT_FOUND', `job "${id}" does not exist`, { status: 404 }),
} as const;
