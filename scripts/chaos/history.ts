import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';

/**
 * One client operation or nemesis action, Jepsen style: an `invoke`, then exactly one of `ok`
 * (it happened), `fail` (it certainly did not) or `info` (unknown: a timeout or a dropped
 * connection, the vote may or may not be in the log). Nemesis actions are `f: "nemesis"`.
 */
export interface HistoryEvent {
  /** Milliseconds since the run started. */
  readonly t: number;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  /** Operation: a vote, an SSE observation, an admin action, or a fault. */
  readonly f: 'vote' | 'sse' | 'admin' | 'nemesis';
  /** Client id (votes: one per attempt chain; SSE: one per watcher). */
  readonly process: string;
  readonly electionId?: string;
  readonly userId?: string;
  readonly optionId?: string;
  readonly voteId?: string;
  /** HTTP status, or 0 when none arrived. */
  readonly status?: number;
  readonly error?: string;
  /** SSE: the snapshot's total and version; nemesis: what was done to whom. */
  readonly total?: number;
  readonly version?: number;
  readonly event?: string;
  readonly fault?: string;
  readonly target?: string;
}

/** Appends events as NDJSON (one JSON object per line) and keeps them in memory for the checker. */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private readonly out: WriteStream | undefined;
  readonly startedAt = Date.now();

  constructor(path?: string) {
    this.out = path === undefined ? undefined : createWriteStream(path, { flags: 'w' });
  }

  now(): number {
    return Date.now() - this.startedAt;
  }

  record(event: Omit<HistoryEvent, 't'>): HistoryEvent {
    const full = { t: this.now(), ...event };
    this.events.push(full);
    this.out?.write(`${JSON.stringify(full)}\n`);
    return full;
  }

  async close(): Promise<void> {
    const out = this.out;
    if (out === undefined) return;
    await new Promise<void>((resolve) => out.end(resolve));
  }
}

export function readHistory(path: string): HistoryEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as HistoryEvent);
}
