// Entry of @urna/tally-worker for scripts and tests (the process itself starts at main.ts).
export { startWorker, type RunningWorker, type WorkerOptions } from './worker.ts';
export { GROUPS, liveTallyProjection, voteStoreProjection, type Projection, type ProjectionName } from './projections.ts';
export { readWorkerConfig, WorkerConfig } from './config.ts';
