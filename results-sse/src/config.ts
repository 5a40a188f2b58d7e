import { z } from 'zod';
import { authConfigShape, checkAuthConfig } from '@urna/auth';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';
import { transparencyPublicShape } from '@urna/transparency/config';

export const ResultsConfig = z.object({
  ...sharedConfigShape,
  ...authConfigShape,
  URNA_RESULTS_PORT: z.coerce.number().int().min(0).max(65_535).default(8082),
  /**
   * Minimum gap between two SSE snapshots of one election (≤ 5 per second). A vote waits up to
   * one window for the next snapshot, so the window bounds end-to-end latency: at 250 ms the
   * p99 could not stay under 250 ms (docs/benchmarks.md).
   */
  URNA_SSE_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(200),
  URNA_SSE_HEARTBEAT_MS: z.coerce.number().int().min(1_000).default(15_000),
  /** Open streams per process at most (15k measured within the latency goal, docs/benchmarks.md); above: 503. */
  URNA_SSE_MAX_STREAMS: z.coerce.number().int().min(1).default(15_000),
  ...transparencyPublicShape,
});
export function readResultsConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(ResultsConfig, env);
  checkAuthConfig(config);
  return config;
}
