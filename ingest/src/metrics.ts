import { Counter, Histogram, type Registry } from 'prom-client';

export function ingestMetrics(registry: Registry) {
  return {
    accepted: new Counter({ name: 'urna_votes_accepted_total', help: 'Votes durably appended and answered 202', registers: [registry] }),
    refused: new Counter({
      name: 'urna_votes_refused_total',
      help: 'Vote requests refused, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'urna_append_batch_size',
      help: 'Votes per log append',
      buckets: [1, 5, 20, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    appendSeconds: new Histogram({
      name: 'urna_append_seconds',
      help: 'Duration of one batched log append',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;
