import type { LoggedVote, Vote } from '@urna/domain';

export interface AppendBatcherOptions {
  /** Appends one batch durably (one round trip). */
  readonly append: (votes: readonly Vote[]) => Promise<LoggedVote[]>;
  /** Runs after the batch is durable, before callers are answered (e.g. receipts); its failure is reported, not propagated. */
  readonly afterAppend?: (logged: readonly LoggedVote[]) => Promise<void>;
  readonly onAfterAppendError?: (error: unknown) => void;
  readonly onFlush?: (size: number, seconds: number) => void;
  /**
   * Flush as soon as this many votes wait.
   * @defaultValue 1,000
   */
  readonly maxBatch?: number;
  /**
   * How long the first vote of a batch waits for company before the flush (like Kafka's
   * linger.ms). 0 = the end of the current event-loop turn. A few milliseconds make batches
   * larger at moderate load, and so fewer log calls per vote.
   * @defaultValue 0
   */
  readonly lingerMs?: number;
}

interface Waiter {
  readonly vote: Vote;
  readonly resolve: (logged: LoggedVote) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Groups appends from concurrent requests into one log call: requests arriving in the same
 * turn of the event loop share a flush (scheduled with setImmediate), so under load a batch
 * holds every vote that came in while the previous one was in flight, without adding latency
 * when idle. Each caller's promise settles with its own vote's outcome.
 */
export class AppendBatcher {
  private waiting: Waiter[] = [];
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private readonly lingerMs: number;

  constructor(private readonly options: AppendBatcherOptions) {
    this.maxBatch = options.maxBatch ?? 1_000;
    this.lingerMs = options.lingerMs ?? 0;
  }

  append(vote: Vote): Promise<LoggedVote> {
    return new Promise<LoggedVote>((resolve, reject) => {
      this.waiting.push({ vote, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.lingerMs > 0) setTimeout(() => this.flush(), this.lingerMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves when every batch handed out so far has settled. */
  async drain(): Promise<void> {
    while (this.waiting.length > 0 || this.inFlight.size > 0) {
      if (this.waiting.length > 0) this.flush();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    const started = process.hrtime.bigint();
    const work = this.run(batch).finally(() => {
      this.inFlight.delete(work);
      this.options.onFlush?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    });
    this.inFlight.add(work);
  }

  private async run(batch: Waiter[]): Promise<void> {
    let logged: LoggedVote[];
    try {
      logged = await this.options.append(batch.map((w) => w.vote));
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
      return;
    }
    if (this.options.afterAppend !== undefined) {
      try {
        await this.options.afterAppend(logged);
      } catch (error) {
        this.options.onAfterAppendError?.(error);
      }
    }
    batch.forEach((waiter, i) => waiter.resolve(logged[i] as LoggedVote));
  }
}
