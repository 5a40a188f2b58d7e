import { UrnaError } from '@urna/domain';

export const LogErrors = {
  /** The log did not confirm durable storage; the caller must not acknowledge the vote. */
  unavailable: (cause: unknown) =>
    new UrnaError('LOG_UNAVAILABLE', 'the vote log is unavailable; retry shortly', {
      status: 503,
      retriable: true,
      retryAfterSeconds: 1,
      cause,
    }),
  malformedEntry: (where: string) =>
    new UrnaError('LOG_MALFORMED_ENTRY', `malformed log entry at ${where}`, { status: 500 }),
} as const;
