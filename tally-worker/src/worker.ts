import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RunningConsumer, VoteLog } from '@urna/log';
import { failpoint } from '@urna/service-kit';
import type { Projection } from './projections.ts';

export interface WorkerOptions {
  readonly log: VoteLog;
  readonly projection: Projection;
  readonly consumer: string;
  readonly registry: Registry;
  readonly partitions?: readonly number[];
  readonly batchSize?: number;
  readonly claimIdleMs?: number;
  /** Redis log: share the partitions with the other members through leases of this length. */
  readonly leaseMs?: number;
  readonly onError?: (error: unknown) => void;
  /**
   * Fault injection for crash tests: after applying this many batches, the process kills
   * itself (SIGKILL) before the log acknowledges the batch, the worst moment for a crash.
   */
  readonly crashAfterBatches?: number;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** Runs one projection over the log: read a batch, apply it, acknowledge it; repeat. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const labels = { projection: options.projection.name };
  const applied = new Counter({
    name: 'urna_projection_records_total',
    help: 'Log records applied (including redeliveries)',
    labelNames: ['projection'],
    registers: [options.registry],
  });
  const failures = new Counter({
    name: 'urna_projection_failures_total',
    help: 'Batches that failed and will be redelivered',
    labelNames: ['projection'],
    registers: [options.registry],
  });
  const rejectedTotal = new Counter({
    name: 'urna_projection_rejected_records_total',
    help: 'Log records refused before applying (including redeliveries), by reason: forged = no valid signature of ingest',
    labelNames: ['projection', 'reason', 'kind'],
    registers: [options.registry],
  });
  rejectedTotal.inc({ ...labels, reason: 'forged', kind: 'vote' }, 0);
  const seconds = new Histogram({
    name: 'urna_projection_batch_seconds',
    help: 'Time to apply one batch',
    labelNames: ['projection'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [options.registry],
  });
  const backlog = new Gauge({
    name: 'urna_projection_backlog',
    help: 'Log records not yet acknowledged by this projection',
    labelNames: ['projection'],
    registers: [options.registry],
    collect: async () => {
      try {
        const b = await options.log.backlog(options.projection.group);
        backlog.set(labels, b.undelivered + b.pending);
      } catch {
        // metrics scrape must not fail on a log hiccup
      }
    },
  });
  let batches = 0;
  const consumer: RunningConsumer = await options.log.consume(
    {
      group: options.projection.group,
      consumer: options.consumer,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.claimIdleMs === undefined ? {} : { claimIdleMs: options.claimIdleMs }),
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      onError: (error) => {
        failures.inc(labels);
        options.onError?.(error);
      },
    },
    async (records, markers, rejected = []) => {
      failpoint(`${options.projection.name}.after-read`);
      const end = seconds.startTimer(labels);
      if (rejected.length > 0) {
        await options.projection.reject(rejected);
        for (const { record, reason } of rejected) rejectedTotal.inc({ ...labels, reason, kind: 'marker' in record ? 'marker' : 'vote' });
      }
      await options.projection.apply(records, markers);
      end();
      failpoint(`${options.projection.name}.before-ack`);
      applied.inc(labels, records.length + markers.length);
      if (++batches === options.crashAfterBatches) process.kill(process.pid, 'SIGKILL');
    },
  );
  return { stop: () => consumer.stop() };
}
