// Entry of @urna/results-sse for scripts and tests (the process itself starts at main.ts).
export { buildResultsApp, type ResultsDeps } from './app.ts';
export { ResultsHub, sharedChunk, sseFrame, type HubOptions, type SnapshotSource } from './results-hub.ts';
export { readResultsConfig, ResultsConfig } from './config.ts';
