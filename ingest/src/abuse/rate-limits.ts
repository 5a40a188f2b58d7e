import type { FastifyRequest } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainErrors, type UrnaError } from '@urna/domain';
import { toUrnaError } from '@urna/service-kit';
import { VoteAttempts, type AttemptVerdict } from './vote-attempts.ts';

/** Every limit of the vote path; README "Rate limits" gives the defaults and the reasoning. */
export interface RateLimitSettings {
  /** Vote attempts per user per election per window (retries included; only the first ever counts). */
  readonly userVotes: number;
  readonly userWindowSeconds: number;
  /** Failed requests (bad token, any 4xx) per client address per window; then 429 for its failures. */
  readonly ipFailures: number;
  readonly ipFailuresWindowSeconds: number;
  /** Deployment-wide votes/s ceiling of one election when it sets none (0: none). */
  readonly electionVotesPerSecond: number;
  readonly keyPrefix?: string;
}

export type LimitRule = 'user' | 'election' | 'ip_failures';

/** An IPv4 address as is; an IPv6 address as its /64 (one subscriber's prefix). */
export function clientKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Limits shared by every ingest process, in the ingest Redis: the vote path's two (per user,
 * per election) batched per event-loop turn (VoteAttempts, rate-limiter-flexible's consume in
 * one script call per election), the failure budget through rate-limiter-flexible. A refusal
 * is 429 RATE_LIMITED with Retry-After, raised before anything is appended, and counted by rule.
 * If Redis cannot answer, the vote path stays open (the append needs Redis anyway and fails
 * on its own; the one-vote rule protects the count) and the miss is counted as rule "unavailable".
 */
export class RateLimits {
  readonly attempts: VoteAttempts;
  private readonly failures: RateLimiterRedis;
  private readonly refused: Counter<'rule'>;

  constructor(
    redis: Redis | Cluster,
    private readonly settings: RateLimitSettings,
    registry: Registry,
  ) {
    const prefix = settings.keyPrefix ?? 'urna:rl';
    this.attempts = new VoteAttempts(redis, {
      userVotes: settings.userVotes,
      userWindowSeconds: settings.userWindowSeconds,
      keyPrefix: prefix,
    });
    this.failures = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:fail`,
      points: settings.ipFailures,
      duration: settings.ipFailuresWindowSeconds,
      blockDuration: settings.ipFailuresWindowSeconds,
    });
    this.refused = new Counter({
      name: 'urna_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit, by rule (unavailable: the limit store did not answer, request let through)',
      labelNames: ['rule'],
      registers: [registry],
    });
  }

  /** Before a vote is appended: the user's attempts, then the election's ceiling (batched with the turn's other votes). */
  async checkVote(electionId: string, userId: string, electionCeiling: number | undefined): Promise<void> {
    const ceiling = electionCeiling ?? this.settings.electionVotesPerSecond;
    let verdict: AttemptVerdict;
    try {
      verdict = await this.attempts.consume(electionId, userId, ceiling);
    } catch {
      this.refused.inc({ rule: 'unavailable' });
      return;
    }
    if (verdict.admitted) return;
    this.refused.inc({ rule: verdict.rule });
    throw DomainErrors.rateLimited(verdict.rule, Math.max(1, Math.ceil(verdict.msBeforeNext / 1000)));
  }

  /**
   * After a request failed with a 4xx: spends one unit of the address's failure budget. Once it
   * is spent, that address's failing requests are answered 429 until the window ends, so
   * probing learns nothing more; its valid requests (a crowd behind one NAT) still pass.
   */
  async afterFailure(ip: string): Promise<UrnaError | undefined> {
    try {
      await this.consume('ip_failures', this.failures, clientKey(ip));
      return undefined;
    } catch (error) {
      return error as UrnaError;
    }
  }

  private async consume(rule: LimitRule, limiter: RateLimiterRedis, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        this.refused.inc({ rule: 'unavailable' });
        return;
      }
      this.refused.inc({ rule });
      throw DomainErrors.rateLimited(rule, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
  }
}

/**
 * An error handler for a route plugin: a 4xx spends the client address's failure budget, and
 * once that is spent the answer becomes 429. Rethrows, so the app's handler writes the response.
 */
export const failureBudget =
  (limits: RateLimits | undefined) =>
  async (error: unknown, request: FastifyRequest): Promise<never> => {
    const status = toUrnaError(error).status;
    // typed string, but undefined once the client's socket is gone (node's remoteAddress): the
    // answer then reaches nobody, so no budget is spent
    const ip = request.ip as string | undefined;
    if (limits !== undefined && ip !== undefined && status >= 400 && status < 500 && status !== 429) {
      const limited = await limits.afterFailure(ip);
      if (limited !== undefined) throw limited;
    }
    throw error;
  };
