import { UrnaError } from '@urna/domain';

export const StoreErrors = {
  unavailable: (cause: unknown) =>
    new UrnaError('STORE_UNAVAILABLE', 'the vote store is unavailable; retry shortly', {
      retriable: true, retryAfterSeconds: 1, cause,
    }),
  corruptItem: (key: string) => new UrnaError('STORE_CORRUPT_ITEM', `item ${key} is missing attributes`),
} as const;
