import { describe, expect, it } from 'vitest';
import { AcceptedRates } from '../src/accepted-rate.ts';

/** A live read model whose `accepted` counters the test moves by hand, and a hand-driven clock. */
function fixture() {
  const accepted = new Map<string, number>([['e1', 0]]);
  const reads: string[][] = [];
  let now = 1_000_000;
  const rates = new AcceptedRates({
    tally: {
      acceptedCounts: async (ids) => {
        reads.push([...ids]);
        return ids.map((id) => accepted.get(id));
      },
    },
    windowMs: 5_000,
    idleMs: 60_000,
    now: () => now,
  });
  return { rates, accepted, reads, advance: (ms: number) => (now += ms) };
}

describe('accepted votes/s sampled off the live read model', () => {
  it('is null with one sample, then Δaccepted/Δt over the last window, across every ingest process that fed the counter', async () => {
    const { rates, accepted, advance } = fixture();
    try {
      expect(await rates.report('e1')).toMatchObject({ electionId: 'e1', accepted: 0, acceptedPerSecond: null, windowSeconds: 5 });
      for (let s = 1; s <= 8; s++) {
        advance(1_000);
        accepted.set('e1', s * 250); // 250 votes/s, whichever processes took them
        await rates.sample();
      }
      // window: the samples of the last 5 s → (2000 - 750) / 5 s
      expect(await rates.report('e1')).toMatchObject({ accepted: 2_000, acceptedPerSecond: 250 });
      advance(1_000);
      await rates.sample(); // no new votes: the rate falls as the window slides
      expect((await rates.report('e1'))?.acceptedPerSecond).toBe(200);
    } finally {
      rates.stop();
    }
  });

  it('unknown elections are undefined (404); one pipeline samples every watched election; an election nobody asks about is dropped', async () => {
    const { rates, accepted, reads, advance } = fixture();
    try {
      expect(await rates.report('nope')).toBeUndefined();
      accepted.set('e2', 5);
      await rates.report('e1');
      await rates.report('e2');
      reads.length = 0;
      await rates.sample();
      expect(reads).toEqual([['e1', 'e2']]);
      advance(30_000);
      await rates.report('e2');
      advance(40_000);
      reads.length = 0;
      await rates.sample();
      expect(reads).toEqual([['e2']]);
    } finally {
      rates.stop();
    }
  });
});
