import { partitionOf, type LoggedCloseMarker, type LoggedVote, type Vote } from '@urna/domain';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchHandler, RunningConsumer, VoteLog } from '../src/index.ts';
import { eventually, randomName } from '../../../test/helpers.ts';

export interface LogUnderTest {
  readonly log: VoteLog;
  /** Another handle on the same log (a second process's view). */
  readonly reopen: () => Promise<VoteLog>;
  readonly cleanup: () => Promise<void>;
}

const vote = (userId: string, optionId = 'a', electionId = 'e1'): Vote => ({
  voteId: randomUUID(),
  electionId,
  userId,
  optionId,
  acceptedAt: Date.now(),
});

/** Collects everything a consumer is handed, keyed by voteId. */
function collector(): { seen: LoggedVote[]; handler: (records: readonly LoggedVote[]) => Promise<void> } {
  const seen: LoggedVote[] = [];
  return { seen, handler: async (records) => void seen.push(...records) };
}

/** The VoteLog contract: every adapter must pass it unchanged. */
export function describeVoteLogContract(adapter: string, open: (partitions: number) => Promise<LogUnderTest>): void {
  describe(`VoteLog contract: ${adapter}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    const setup = async (partitions = 4) => {
      const under = await open(partitions);
      cleanups.push(under.cleanup);
      return under;
    };
    const consume = async (log: VoteLog, group: string, consumer: string, handler: BatchHandler, claimIdleMs = 60_000) => {
      const running: RunningConsumer = await log.consume({ group, consumer, blockMs: 100, claimIdleMs, batchSize: 50 }, handler);
      cleanups.push(() => running.stop());
      return running;
    };

    it('append places each user on partitionOf(userId) with positions increasing in append order', async () => {
      const { log } = await setup(4);
      const first = await log.append([vote('u1'), vote('u2'), vote('u1')]);
      const second = await log.append([vote('u1')]);
      for (const r of [...first, ...second]) expect(r.partition).toBe(partitionOf(r.vote.userId, 4));
      const u1 = [...first, ...second].filter((r) => r.vote.userId === 'u1').map((r) => r.position);
      expect([...u1].sort()).toEqual(u1);
      expect(new Set(u1).size).toBe(3);
    });

    it('delivers every record to a group, in log order per user', async () => {
      const { log } = await setup(4);
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const appended: LoggedVote[] = [];
      for (let round = 0; round < 10; round++) appended.push(...(await log.append(users.map((u) => vote(u, `o${round}`)))));
      const { seen, handler } = collector();
      await consume(log, randomName('g'), 'c1', handler);
      await eventually('all records', async () => (seen.length >= appended.length ? true : undefined));
      expect(seen.map((r) => r.vote.voteId).sort()).toEqual(appended.map((r) => r.vote.voteId).sort());
      for (const user of users) {
        const order = seen.filter((r) => r.vote.userId === user).map((r) => r.vote.optionId);
        expect(order).toEqual(Array.from({ length: 10 }, (_, i) => `o${i}`));
      }
    });

    it('acknowledged records are not delivered again to a restarted member', async () => {
      const { log } = await setup(2);
      await log.append(Array.from({ length: 30 }, (_, i) => vote(`u${i}`)));
      const group = randomName('g');
      const first = collector();
      const running = await consume(log, group, 'c1', first.handler);
      await eventually('first delivery', async () => (first.seen.length === 30 ? true : undefined));
      await running.stop();
      await eventually('backlog drained', async () => {
        const b = await log.backlog(group);
        return b.pending === 0 && b.undelivered === 0 ? true : undefined;
      });
      const again = collector();
      await consume(log, group, 'c1', again.handler);
      await log.append([vote('late')]);
      await eventually('only the new record', async () => (again.seen.length >= 1 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      expect(again.seen.map((r) => r.vote.userId)).toEqual(['late']);
    });

    it('a clean stop applies and acknowledges every record it read: nothing of its own stays pending', async () => {
      const { log } = await setup(2);
      await log.append(Array.from({ length: 300 }, (_, i) => vote(`u${i}`)));
      const group = randomName('g');
      const seen: LoggedVote[] = [];
      const running = await log.consume({ group, consumer: 'c1', blockMs: 100, batchSize: 10 }, async (records) => {
        await new Promise((r) => setTimeout(r, 20)); // a slow projection, so reads run ahead of it
        seen.push(...records);
      });
      await eventually('some batches applied', async () => (seen.length >= 50 ? true : undefined));
      await running.stop();
      const backlog = await log.backlog(group);
      expect(backlog.pending).toBe(0);
      expect(backlog.undelivered + new Set(seen.map((r) => r.vote.voteId)).size).toBe(300);
    });

    it('a failed batch is delivered again (at-least-once), then acknowledged', async () => {
      const { log } = await setup(2);
      const appended = await log.append(Array.from({ length: 10 }, (_, i) => vote(`u${i}`)));
      let calls = 0;
      const seen: LoggedVote[] = [];
      const group = randomName('g');
      await consume(log, group, 'c1', async (records) => {
        calls++;
        if (calls === 1) throw new Error('projection down');
        seen.push(...records);
      });
      await eventually('redelivery', async () => (seen.length >= appended.length ? true : undefined));
      expect(new Set(seen.map((r) => r.vote.voteId))).toEqual(new Set(appended.map((r) => r.vote.voteId)));
      await eventually('acked', async () => ((await log.backlog(group)).pending === 0 ? true : undefined));
    });

    it('a close marker lands on every partition, after every vote appended before it and before every vote appended after it', async () => {
      const { log } = await setup(4);
      const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      const before = await log.append(users.map((u) => vote(u, 'a', 'closing')));
      const markers = await log.appendCloseMarker('closing', 1234);
      expect(markers.map((m) => m.partition).sort()).toEqual([0, 1, 2, 3]);
      expect(markers.every((m) => m.marker.electionId === 'closing' && m.marker.closedAt === 1234)).toBe(true);
      const after = await log.append(users.map((u) => vote(u, 'b', 'closing')));
      const at = new Map(markers.map((m) => [m.partition, m.position]));
      for (const r of before) expect(r.position < (at.get(r.partition) as string)).toBe(true);
      for (const r of after) expect(r.position > (at.get(r.partition) as string)).toBe(true);
      const seenVotes: LoggedVote[] = [];
      const seenMarkers: LoggedCloseMarker[] = [];
      await consume(log, randomName('g'), 'c1', async (records, delivered) => {
        seenVotes.push(...records);
        seenMarkers.push(...delivered);
      });
      await eventually('votes and markers delivered', async () => (seenVotes.length >= 80 && seenMarkers.length >= 4 ? true : undefined));
      expect(new Set(seenMarkers.map((m) => `${m.partition}/${m.position}`))).toEqual(
        new Set(markers.map((m) => `${m.partition}/${m.position}`)),
      );
      expect(seenVotes.map((r) => r.vote.voteId).sort()).toEqual([...before, ...after].map((r) => r.vote.voteId).sort());
    });

    it('records held by a member that died unacknowledged are redelivered to another member', async () => {
      const { log, reopen } = await setup(2);
      const appended = await log.append(Array.from({ length: 20 }, (_, i) => vote(`u${i}`)));
      const group = randomName('g');
      let handed = 0;
      const dying = await consume(log, group, 'doomed', async (records) => {
        handed += records.length;
        throw new Error('process crashed before acknowledging');
      });
      await eventually('doomed member got records', async () => (handed > 0 ? true : undefined));
      await dying.stop();
      const other = await reopen();
      cleanups.push(() => other.close());
      const { seen, handler } = collector();
      await consume(other, group, 'survivor', handler, 200);
      await eventually('takeover', async () => (new Set(seen.map((r) => r.vote.voteId)).size === appended.length ? true : undefined));
      await eventually('acked', async () => ((await other.backlog(group)).pending === 0 ? true : undefined));
    });
  });
}
