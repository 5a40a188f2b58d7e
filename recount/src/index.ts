// Entry of @urna/recount for scripts and tests (the process itself starts at main.ts).
export { buildRecountApp, type RecountAppDeps } from './app.ts';
export { BullLifecycleJobs, LIFECYCLE_QUEUE, resumeLifecycle, startLifecycleWorker, type JobData, type JobResult } from './jobs.ts';
export { Lifecycle, type LifecycleDeps, type LifecycleJobs } from './lifecycle.ts';
export { recountMetrics, runRecount, type RecountDeps, type RecountOutcome } from './recount.ts';
export { runReprocess } from './reprocess.ts';
export { AcceptedRates, type AcceptedRateReport, type AcceptedRateOptions } from './accepted-rate.ts';
export { registerDashboard, SESSION_COOKIE, DASHBOARD_PATH } from './dashboard.ts';
export { RecountConfig, readRecountConfig } from './config.ts';
