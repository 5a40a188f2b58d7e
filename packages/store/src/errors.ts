import { UrnaError } from '@urna/domain';

export const StoreErrors = {
  unavailable: (cause: unknown) =>
    new UrnaError('STORE_UNAVAILABLE', 'the vote store is unavailable; retry shortly', {
      retriable: true, retryAfterSeconds: 1, cause,
    }),
  corruptItem: (key: string) => new UrnaError('STORE_CORRUPT_ITEM', `item ${key} is missing attributes`),
} as const;

/** Errors the SDK reports for load or contention: worth retrying with back-off. */
export function isRetriableDynamoError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  if (name === 'TransactionCanceledException') return error.message.includes('TransactionConflict') || error.message.includes('ThrottlingError');
  return ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError',
    'ServiceUnavailable', 'TransactionConflictException', 'TimeoutError', 'ECONNREFUSED', 'ECONNRESET'].includes(name)
    || /ECONNREFUSED|ECONNRESET|socket hang up/.test(error.message);
}
