import { UrnaError } from '@urna/domain';

export const LogErrors = {
  /** The log did not confirm durable storage; the caller must not acknowledge the vote. */
  unavailable: (cause: unknown) =>
    new UrnaError('LOG_UNAVAILABLE', 'the vote log is unavailable; retry shortly', {
      retriable: true,
      retryAfterSeconds: 1,
      cause,
    }),
  /** The log is reachable but not set up as the configuration expects (missing topic, too few partitions). */
  misconfigured: (message: string) => new UrnaError('LOG_MISCONFIGURED', message),
  malformedEntry: (where: string) => new UrnaError('LOG_MALFORMED_ENTRY', `malformed log entry at ${where}`),
} as const;
