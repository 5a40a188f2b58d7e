import { describe, expect, it } from 'vitest';
import { ELECTION_CHANGED_CHANNEL, type Election } from '@urna/domain';
import { ElectionConfigs } from '@urna/tally';
import { ElectionCache } from '../src/election-cache.ts';
import { followElectionChanges } from '../src/election-changes.ts';
import { eventually, randomName, testRedis } from '../../test/helpers.ts';

// the election config ingest reads: Redis, written by the lifecycle service
const configs = new ElectionConfigs(testRedis());
const draft = (id: string): Election => ({
  id,
  title: 't',
  options: [
    { id: 'a', label: 'A' },
    { id: 'b', label: 'B' },
  ],
  status: 'draft',
  createdAt: new Date().toISOString(),
});
const repo = {
  create: (e: Election) => configs.put(e),
  get: (id: string) => configs.get(id),
  transition: async (id: string, _action: 'open') => {
    const opened: Election = { ...((await configs.get(id)) as Election), status: 'open' };
    await configs.put(opened);
    return opened;
  },
};
const announceElectionChange = (publisher: ReturnType<typeof testRedis>) => async (id: string) =>
  void (await publisher.publish(ELECTION_CHANGED_CHANNEL, id));

describe('election cache across processes', () => {
  it('a change made through one process reaches another process’s cache through Redis', async () => {
    const id = randomName('e');
    await repo.create(draft(id));
    // two "processes": each its own cache and subscriber connection
    const here = new ElectionCache(repo, { maxAgeMs: 60_000 });
    const there = new ElectionCache(repo, { maxAgeMs: 60_000 });
    const [subHere, subThere, publisher] = [testRedis(), testRedis(), testRedis()];
    await followElectionChanges(subHere, here);
    await followElectionChanges(subThere, there);
    try {
      expect((await there.get(id))?.status).toBe('draft');
      here.put(await repo.transition(id, 'open'));
      await announceElectionChange(publisher)(id);
      await eventually('remote cache sees open', async () => ((await there.get(id))?.status === 'open' ? true : undefined), 5_000);
    } finally {
      for (const c of [subHere, subThere, publisher]) c.disconnect();
    }
  });

  it('without a notice, a cached entry is served until maxAge (so the notice is what makes it fresh)', async () => {
    const id = randomName('e');
    await repo.create(draft(id));
    const cache = new ElectionCache(repo, { maxAgeMs: 60_000 });
    expect((await cache.get(id))?.status).toBe('draft');
    await repo.transition(id, 'open');
    expect((await cache.get(id))?.status).toBe('draft');
    cache.invalidate(id);
    expect((await cache.get(id))?.status).toBe('open');
  });

  it('concurrent misses share one load; unknown ids are cached briefly', async () => {
    let loads = 0;
    const cache = new ElectionCache(
      {
        get: async (id) => {
          loads++;
          return repo.get(id);
        },
      },
      { missingMaxAgeMs: 10_000 },
    );
    const id = randomName('missing');
    await Promise.all(Array.from({ length: 50 }, () => cache.get(id)));
    await cache.get(id);
    expect(loads).toBe(1);
  });

  it('a load in flight when a change is announced is not cached: the next vote reads the change, not the state before it', async () => {
    const id = randomName('e');
    await repo.create(draft(id));
    await repo.transition(id, 'open');
    let release: () => void = () => undefined;
    let slow = true;
    const cache = new ElectionCache(
      {
        get: async (electionId) => {
          const before = await repo.get(electionId); // read now...
          if (slow) await new Promise<void>((resolve) => (release = resolve)); // ...answered later
          return before;
        },
      },
      { maxAgeMs: 60_000 },
    );
    const stale = cache.get(id); // a vote's lookup, in flight
    await configs.put({ ...((await repo.get(id)) as Election), closingAt: new Date().toISOString() }); // the close begins
    cache.invalidate(id); // its notice arrives
    slow = false;
    release();
    expect((await stale)?.closingAt).toBeUndefined(); // the vote that raced the close saw it open
    expect((await cache.get(id))?.closingAt).toBeDefined(); // every later one sees the close
  });

  it('remembers at most maxMissing unknown ids, so random ids cannot grow its memory', async () => {
    const cache = new ElectionCache({ get: async () => undefined }, { missingMaxAgeMs: 60_000, maxMissing: 100 });
    const known = draft(randomName('known'));
    cache.put(known);
    for (let i = 0; i < 1_000; i++) await cache.get(randomName('nope'));
    expect(cache.size).toBe(101);
    expect(await cache.get(known.id)).toEqual(known);
  });
});
