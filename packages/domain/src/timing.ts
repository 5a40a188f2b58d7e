/**
 * The one back-off and the one delay of urna (this module imports nothing: services, packages
 * and the web pages use it alike).
 */
export interface BackoffOptions {
  /** Delay of attempt 0. */
  readonly baseMs: number;
  /** No delay is longer than this (before jitter). */
  readonly maxMs: number;
  /**
   * Attempts beyond this one stop doubling the delay.
   * @defaultValue 6
   */
  readonly maxExponent?: number;
  /**
   * Spread: the delay is multiplied by a random factor in [1 - jitter/2, 1 + jitter/2), so a
   * crowd retrying after one failure does not come back in one second.
   * @defaultValue 0
   */
  readonly jitter?: number;
}

/** Exponential back-off: `min(maxMs, baseMs · 2^min(attempt, maxExponent))`, spread by `jitter`. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt, 0), options.maxExponent ?? 6);
  const capped = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const jitter = options.jitter ?? 0;
  return jitter === 0 ? capped : capped * (1 - jitter / 2 + Math.random() * jitter);
}

/**
 * Resolves after `ms`, or as soon as `signal` aborts (it never rejects), so a loop waiting out
 * a back-off stops at once when it is told to.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
