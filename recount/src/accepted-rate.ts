import type { LiveTally } from '@urna/tally';

/** `GET /v1/admin/elections/:id/rate`: accepted votes per second of every ingest process together. */
export interface AcceptedRateReport {
  readonly electionId: string;
  /** Votes the live tally has applied so far, counted or not. */
  readonly accepted: number;
  /** Over the samples of the last `windowSeconds`; null until two samples exist. */
  readonly acceptedPerSecond: number | null;
  readonly windowSeconds: number;
  readonly at: string;
}

export interface AcceptedRateOptions {
  readonly tally: Pick<LiveTally, 'acceptedCounts'>;
  readonly intervalMs?: number;
  readonly windowMs?: number;
  /** An election nobody asked about for this long is no longer sampled. */
  readonly idleMs?: number;
  readonly now?: () => number;
}

interface Track {
  readonly samples: Array<{ at: number; accepted: number }>;
  askedAt: number;
}

/**
 * The accepted-votes rate across all ingest processes, read off the live read model: the live
 * tally counts every vote it applies (`accepted` in the meta hash, kept by the same Lua call
 * that counts), and this samples that counter once a second, per election an admin is
 * watching, in one Redis pipeline. The vote path pays nothing for it; the figure trails the
 * log by the live tally's lag (shown next to it in the console). Each lifecycle process
 * samples on its own, so any of them answers the same within a second.
 */
export class AcceptedRates {
  private readonly tracks = new Map<string, Track>();
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AcceptedRateOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.windowMs = options.windowMs ?? 5_000;
    this.idleMs = options.idleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The current report, or undefined when the election has no read model. Starts sampling it. */
  async report(electionId: string): Promise<AcceptedRateReport | undefined> {
    let track = this.tracks.get(electionId);
    if (track === undefined) {
      const [accepted] = await this.options.tally.acceptedCounts([electionId]);
      if (accepted === undefined) return undefined;
      track = { samples: [{ at: this.now(), accepted }], askedAt: this.now() };
      this.tracks.set(electionId, track);
      this.timer ??= setInterval(() => void this.sample().catch(() => undefined), this.intervalMs).unref();
    }
    track.askedAt = this.now();
    const first = track.samples[0];
    const last = track.samples.at(-1);
    const perSecond =
      first !== undefined && last !== undefined && last.at > first.at
        ? ((last.accepted - first.accepted) * 1_000) / (last.at - first.at)
        : null;
    return {
      electionId,
      accepted: last?.accepted ?? 0,
      acceptedPerSecond: perSecond === null ? null : Math.round(perSecond * 10) / 10,
      windowSeconds: this.windowMs / 1_000,
      at: new Date(last?.at ?? this.now()).toISOString(),
    };
  }

  /** One sample of every watched election (one pipeline); forgets elections nobody asks about. */
  async sample(): Promise<void> {
    const now = this.now();
    for (const [id, track] of this.tracks) if (now - track.askedAt > this.idleMs) this.tracks.delete(id);
    const ids = [...this.tracks.keys()];
    if (ids.length === 0) {
      this.stop();
      return;
    }
    const counts = await this.options.tally.acceptedCounts(ids);
    ids.forEach((id, i) => {
      const track = this.tracks.get(id);
      const accepted = counts[i];
      if (track === undefined || accepted === undefined) return;
      track.samples.push({ at: now, accepted });
      while (track.samples.length > 2 && (track.samples[0]?.at ?? now) < now - this.windowMs) track.samples.shift();
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
