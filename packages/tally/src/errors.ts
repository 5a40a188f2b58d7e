import { UrnaError } from '@urna/domain';

export const TallyErrors = {
  unavailable: (cause: unknown) =>
    new UrnaError('TALLY_UNAVAILABLE', 'the live results store is unavailable; retry shortly', {
      retriable: true,
      retryAfterSeconds: 1,
      cause,
    }),
  unexpectedReply: (script: string) => new UrnaError('TALLY_UNEXPECTED_REPLY', `unexpected reply from ${script}`),
} as const;
