export * from './error-codes.ts';
export * from './errors.ts';
export * from './hash.ts';
export * from './ids.ts';
export * from './vote.ts';
export * from './dedupe.ts';
export * from './election.ts';
export * from './projections.ts';
