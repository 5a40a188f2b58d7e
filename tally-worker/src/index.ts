// Entry of @urna/tally-worker for scripts and tests (the process itself starts at main.ts).
export { startWorker, type RunningWorker, type WorkerOptions } from './worker.ts';
export {
  GROUPS,
  TRANSPARENCY_GROUP,
  liveTallyProjection,
  voteStoreProjection,
  type Projection,
  type ProjectionName,
} from './projections.ts';
export { readWorkerConfig, WorkerConfig } from './config.ts';
export { TransparencyProjection, type TransparencyOptions } from './transparency-projection.ts';
