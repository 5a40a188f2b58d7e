import { UrnaError } from '@urna/domain';

export const StoreErrors = {
  unavailable: (cause: unknown) =>
    new UrnaError('STORE_UNAVAILABLE', 'the vote store is unavailable; retry shortly', {
      retriable: true,
      retryAfterSeconds: 1,
      cause,
    }),
  corruptItem: (key: string) => new UrnaError('STORE_CORRUPT_ITEM', `item ${key} is missing attributes`),
  /** A vote's log partition is not the one the store computes: URNA_LOG_PARTITIONS differs between the log and the store. */
  partitionMismatch: (partition: number, partitions: number) =>
    new UrnaError(
      'STORE_PARTITION_MISMATCH',
      `a vote from log partition ${partition} does not belong there with ${partitions} partitions; the store's URNA_LOG_PARTITIONS must equal the log's`,
    ),
} as const;
