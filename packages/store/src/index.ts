export * from './client.ts';
export * from './errors.ts';
export * from './vote-store.ts';
export * from './election-repository.ts';
export { PAGE_FORMAT, type StoredVote } from './vote-page.ts';
export * from './audit-log.ts';
