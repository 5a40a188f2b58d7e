import { describe, expect, it } from 'vitest';
import { backoffDelay, delay } from '../src/timing.ts';

describe('backoffDelay', () => {
  it('doubles from baseMs, stops doubling after maxExponent, never exceeds maxMs', () => {
    const options = { baseMs: 100, maxMs: 5_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((a) => backoffDelay(a, options))).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000,
    ]);
    expect(backoffDelay(10, { baseMs: 1_000, maxMs: 15_000, maxExponent: 2 })).toBe(4_000);
  });

  it('spreads by jitter around the capped delay', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, { baseMs: 1_000, maxMs: 15_000, maxExponent: 4, jitter: 1 });
      expect(d).toBeGreaterThanOrEqual(7_500);
      expect(d).toBeLessThan(22_500);
    }
  });
});

describe('delay', () => {
  it('waits the time it is given', async () => {
    const started = performance.now();
    await delay(50);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('ends at once when aborted, before or during the wait', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = delay(60_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await waiting;
    expect(performance.now() - started).toBeLessThan(5_000);
    await delay(60_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
