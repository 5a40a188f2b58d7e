import type { Cluster, Redis } from 'ioredis';
import { LuaScript } from '@urna/tally';

const consumeAttempts = new LuaScript('consumeAttempts-N', new URL('../../lua/', import.meta.url));

/** Which rule refused a vote attempt, and when its counter resets. */
export type AttemptVerdict =
  { readonly admitted: true } | { readonly admitted: false; readonly rule: 'user' | 'election'; readonly msBeforeNext: number };

interface Check {
  readonly userId: string;
  readonly resolve: (verdict: AttemptVerdict) => void;
  readonly reject: (error: unknown) => void;
}

/** Checks sent in one script call at most (Redis runs a script alone: keep each call short). */
const MOST_PER_CALL = 500;

/**
 * The per-user attempt limit and an election's votes/s ceiling, for every vote that arrives in
 * one event-loop turn: one `consumeAttempts-N.lua` call per election and turn instead of one
 * rate-limiter-flexible call per vote (a Redis round trip and script run per vote, the largest
 * Redis cost of the intake path; docs/benchmarks.md, "issue 12, hot path"). The script applies
 * the checks in arrival order with rate-limiter-flexible's own consume (same counters, windows
 * and refusals), so batching changes no verdict. Keys carry `{<electionId>}`: a call stays in
 * one cluster slot.
 */
export class VoteAttempts {
  private pending = new Map<string, Map<number, Check[]>>();
  private scheduled = false;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly settings: { readonly userVotes: number; readonly userWindowSeconds: number; readonly keyPrefix: string },
  ) {}

  /** The user's attempt counter in an election (a string with the window's TTL, as rate-limiter-flexible keeps it). */
  userKey(electionId: string, userId: string): string {
    return `${this.settings.keyPrefix}:user:{${electionId}}|${userId}`;
  }

  /** The election's one-second counter for a ceiling (a new ceiling starts a new counter). */
  electionKey(electionId: string, ceiling: number): string {
    return `${this.settings.keyPrefix}:election:${ceiling}:{${electionId}}`;
  }

  /** Spends one attempt of the user (and, if admitted and `ceiling` > 0, one point of the election's second). */
  consume(electionId: string, userId: string, ceiling: number): Promise<AttemptVerdict> {
    return new Promise((resolve, reject) => {
      let byCeiling = this.pending.get(electionId);
      if (byCeiling === undefined) this.pending.set(electionId, (byCeiling = new Map()));
      let checks = byCeiling.get(ceiling);
      if (checks === undefined) byCeiling.set(ceiling, (checks = []));
      checks.push({ userId, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [electionId, byCeiling] of pending)
      for (const [ceiling, checks] of byCeiling)
        for (let i = 0; i < checks.length; i += MOST_PER_CALL) void this.run(electionId, ceiling, checks.slice(i, i + MOST_PER_CALL));
  }

  private async run(electionId: string, ceiling: number, checks: readonly Check[]): Promise<void> {
    const keys = [this.electionKey(electionId, ceiling)];
    const index = new Map<string, number>();
    const args: Array<string | number> = [this.settings.userVotes, this.settings.userWindowSeconds, ceiling];
    for (const { userId } of checks) {
      let at = index.get(userId);
      if (at === undefined) {
        at = keys.push(this.userKey(electionId, userId));
        index.set(userId, at);
      }
      args.push(at);
    }
    let reply: unknown;
    try {
      reply = await consumeAttempts.run(this.redis, keys, args);
    } catch (error) {
      for (const check of checks) check.reject(error);
      return;
    }
    if (!Array.isArray(reply) || reply.length !== 2 * checks.length) {
      for (const check of checks) check.reject(new Error(`${consumeAttempts.name}: unexpected reply`));
      return;
    }
    const verdicts = reply as number[];
    checks.forEach((check, i) => {
      const verdict = Number(verdicts[2 * i]);
      if (verdict === 0) check.resolve({ admitted: true });
      else check.resolve({ admitted: false, rule: verdict === 1 ? 'user' : 'election', msBeforeNext: Number(verdicts[2 * i + 1]) });
    });
  }
}
