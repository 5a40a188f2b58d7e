import { Histogram, type Registry } from 'prom-client';
import type { HubOptions } from './results-hub.ts';

/**
 * The SSE delay operators watch (the dashboard's "SSE p99"): from a results change notice to its
 * snapshot written to every client of the election, coalescing window included. Returns the
 * hub's `onBroadcast`.
 */
export function sseUpdateMetrics(registry: Registry): NonNullable<HubOptions['onBroadcast']> {
  const seconds = new Histogram({
    name: 'urna_sse_update_seconds',
    help: 'From a results change notice to its snapshot written to every SSE client of the election (coalescing window included)',
    buckets: [0.01, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (s) => seconds.observe(s);
}
