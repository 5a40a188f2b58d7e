/** Redis adapters of the transparency ports (`@urna/transparency/redis`). */
export * from './redis-tree-store.ts';
export * from './redis-checkpoint-store.ts';
export * from './redis-election-logs.ts';
