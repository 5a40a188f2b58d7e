import { RdKafka } from '@confluentinc/kafka-javascript';
import type { KafkaConnection } from './kafka-client.ts';

export interface ProducerSettings {
  readonly lingerMs: number;
  readonly messageTimeoutMs: number;
  readonly compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

export interface OutgoingMessage {
  readonly partition: number;
  readonly key: string;
  readonly value: Buffer;
}

/** One produce call's messages; settles once every message has its delivery report. */
interface PendingBatch {
  readonly offsets: string[];
  remaining: number;
  settled: boolean;
  readonly resolve: (offsets: string[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The per-message opaque handed to librdkafka and back in its delivery report. */
interface Slot {
  readonly batch: PendingBatch;
  readonly index: number;
}

/**
 * An idempotent, acks=all producer on librdkafka's own API (not the KafkaJS layer), built for
 * batches: `produce` hands every message of a batch to librdkafka and resolves once, with each
 * message's own offset taken from its delivery report. The KafkaJS `send()` resolves one
 * promise per call and reports only the lowest offset per partition, so a vote's own offset
 * needed one `send()` per vote; this costs one promise per batch instead (measured in
 * docs/benchmarks.md). Delivery reports are polled on librdkafka's background thread.
 */
export class BatchProducer {
  private readonly client: RdKafka.Producer;

  constructor(connection: KafkaConnection, settings: ProducerSettings) {
    this.client = new RdKafka.Producer({
      ...connection.librdkafka,
      'bootstrap.servers': connection.brokers.join(','),
      'client.id': connection.clientId,
      'enable.idempotence': true,
      acks: -1,
      'compression.codec': settings.compression,
      'linger.ms': settings.lingerMs,
      'batch.num.messages': 10_000,
      'message.timeout.ms': settings.messageTimeoutMs,
      dr_cb: true,
    });
    this.client.on('delivery-report', (error, report) => {
      const slot = report.opaque as Slot;
      const batch = slot.batch;
      if (batch.settled) return;
      if (error) {
        batch.settled = true;
        batch.reject(error);
        return;
      }
      batch.offsets[slot.index] = String(report.offset);
      if (--batch.remaining === 0) {
        batch.settled = true;
        batch.resolve(batch.offsets);
      }
    });
  }

  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.connect({ timeout: timeoutMs }, (error) => {
        if (error) return reject(error);
        this.client.setPollInBackground(true);
        resolve();
      });
    });
  }

  /** Resolves with the offset of each message, in order, once all are acknowledged (acks=all). */
  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const batch: PendingBatch = {
        offsets: new Array<string>(messages.length),
        remaining: messages.length,
        settled: false,
        resolve,
        reject,
      };
      for (let index = 0; index < messages.length; index++) {
        const m = messages[index] as OutgoingMessage;
        try {
          this.client.produce(topic, m.partition, m.value, m.key, null, { batch, index } satisfies Slot);
        } catch (error) {
          // e.g. the local queue is full: the earlier messages of the batch may still be stored
          batch.settled = true;
          reject(error);
          return;
        }
      }
    });
  }

  flush(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.client.flush(timeoutMs, () => resolve());
    });
  }

  disconnect(): Promise<void> {
    return new Promise((resolve) => {
      this.client.disconnect(() => resolve());
    });
  }
}
