// Entry of @urna/ingest for scripts and tests (the process itself starts at main.ts).
export { buildIngestApp } from './app.ts';
export { INGEST_DEFAULTS, type IngestDeps } from './deps.ts';
export { AppendBatcher, type AppendBatcherOptions } from './append-batcher.ts';
export { ElectionCache, type ElectionCacheOptions, type ElectionSource } from './election-cache.ts';
export { followElectionChanges } from './election-changes.ts';
export { IngestConfig, readIngestConfig } from './config.ts';
export { ALTCHA_HEADER, decode as decodeAltcha, verifyAltcha } from './abuse/proof-of-work.ts';
export { ReceiptSigner } from './receipts.ts';
export { RateLimits, type RateLimitSettings } from './abuse/rate-limits.ts';
