/**
 * The transparency projection on the real redis-server: leaves in log order with derived
 * pseudonyms and salts, idempotent redelivery (also to a fresh process), one close leaf per
 * partition, checkpoints at the close and the final cut once the reconciliation exists.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { LoggedCloseMarker, LoggedVote } from '@urna/domain';
import {
  electionSecretsOf,
  formatLeaf,
  generateSigner,
  leafHash,
  leafSaltOf,
  openCheckpoint,
  pseudonymOf,
  verifyInclusion,
} from '@urna/transparency';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { TransparencyProjection } from '../src/transparency-projection.ts';

const redis = new Redis(inject('redisUrl'));
const prefix = `test-tlog-${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const signer = generateSigner('urna.test/log');
const root = randomBytes(32);
const pos = (n: number) => String(n).padStart(20, '0');
const vote = (electionId: string, n: number, userId: string, optionId: string, partition = 0): LoggedVote => ({
  vote: { voteId: `v${n}`, electionId, userId, optionId, acceptedAt: 1 },
  partition,
  position: pos(n),
});
const marker = (electionId: string, n: number, partition = 0): LoggedCloseMarker => ({
  marker: { electionId, closedAt: 1 },
  partition,
  position: pos(n),
});

function projection(logs: RedisElectionLogs, reconciliation: () => string | undefined = () => undefined) {
  return new TransparencyProjection('transparency', {
    logs,
    signer,
    rootSecret: root,
    partitions: 2,
    closingScope: prefix,
    reconciliation: async () => reconciliation(),
    checkpointIntervalMs: 100,
  });
}

async function snapshot(logs: RedisElectionLogs, electionId: string, partition: number) {
  const log = logs.log(electionId, partition);
  const { size } = await log.state();
  return { size, root: (await log.root()).toString('base64'), leaves: await logs.leaves(electionId, partition, 0, size) };
}

describe('transparency projection', () => {
  it('appends every entry in log order, once, however often a batch is redelivered', async () => {
    const e = `e-${randomBytes(4).toString('hex')}`;
    const logs = new RedisElectionLogs(redis, { prefix });
    const first = projection(logs);
    const batch1 = [vote(e, 3, 'bob', 'dogs'), vote(e, 1, 'alice', 'cats'), vote(e, 5, 'alice', 'dogs')];
    await first.apply(batch1, []);
    const once = await snapshot(logs, e, 0);
    await first.apply(batch1, []); // redelivered to the same process
    await projection(logs).apply([...batch1, vote(e, 7, 'carol', 'cats')], []); // and, overlapping, to a restarted one
    const after = await snapshot(logs, e, 0);
    expect(once.size).toBe(3);
    expect(after.size).toBe(4);
    expect(after.leaves.slice(0, 3)).toEqual(once.leaves);

    const secrets = electionSecretsOf(root, e);
    expect(after.leaves[0]).toBe(
      formatLeaf({
        kind: 'vote',
        electionId: e,
        partition: 0,
        position: pos(1),
        voteId: 'v1',
        pseudonym: pseudonymOf(secrets.pseudonym, 'alice'),
        optionId: 'cats',
        salt: leafSaltOf(secrets.salt, e, 'v1'),
      }),
    );
    expect(after.leaves.map((l) => l.split('\n')[3])).toEqual([pos(1), pos(3), pos(5), pos(7)]);
    expect(await logs.locateVote(e, 'v5')).toEqual({ partition: 0, index: 2 });
  });

  it('makes the first close marker a leaf, checkpoints it, and cuts the final checkpoint once the result is published', async () => {
    const e = `e-${randomBytes(4).toString('hex')}`;
    const logs = new RedisElectionLogs(redis, { prefix });
    const official: { reconciliation?: string } = {};
    const p = projection(logs, () => official.reconciliation);
    await p.apply([vote(e, 1, 'alice', 'cats'), vote(e, 4, 'late', 'cats'), vote(e, 2, 'zed', 'dogs', 1)], [marker(e, 3), marker(e, 3, 1)]);
    await p.apply([vote(e, 6, 'later', 'dogs')], [marker(e, 5)]); // a second marker (a retried close) is no leaf
    const tree = await snapshot(logs, e, 0);
    expect(tree.leaves.map((l) => l.split('\n')[4])).toEqual(['vote', 'close', 'vote', 'vote']);
    expect(await logs.closeIndexes(e)).toEqual(
      new Map([
        [0, 1],
        [1, 1],
      ]),
    );
    // a checkpoint was signed at the close (size 2 on partition 0), before any tick
    expect((await logs.checkpoints.atSize(`${e}/0`, 3))?.size).toBe(3);

    await p.tick();
    expect((await logs.finalSizes(e)).size).toBe(0); // no official result yet
    official.reconciliation = '{}';
    await p.tick();
    const finals = await logs.finalSizes(e);
    expect(finals).toEqual(
      new Map([
        [0, 4],
        [1, 2],
      ]),
    );
    const final = await logs.checkpoints.atSize(`${e}/0`, 4);
    const checkpoint = openCheckpoint(final?.note as string, [signer], `urna/${e}/0`);
    const proof = await logs.log(e, 0).inclusionProof(2, 4);
    verifyInclusion(2, 4, leafHash(tree.leaves[2] as string), proof, checkpoint.root);
    // an entry after the cut grows the live log, never the final checkpoint
    await p.apply([vote(e, 9, 'tardy', 'cats')], []);
    await p.tick();
    expect((await logs.finalSizes(e)).get(0)).toBe(4);
    expect(await redis.sismember(logs.keys.closing(prefix), e)).toBe(0);
  });
});

describe('transparency projection, out of order', () => {
  it('refuses a vote that arrives after later entries of its partition (it could not be appended in order), instead of dropping it', async () => {
    const e = `e-${randomBytes(4).toString('hex')}`;
    const logs = new RedisElectionLogs(redis, { prefix });
    const p = projection(logs);
    await p.apply([vote(e, 1, 'a', 'cats'), vote(e, 5, 'b', 'cats')], []);
    await expect(p.apply([vote(e, 3, 'c', 'dogs')], [])).rejects.toMatchObject({ code: 'TREE_OUT_OF_ORDER' });
    await p.apply([vote(e, 5, 'b', 'cats'), vote(e, 7, 'd', 'dogs')], []); // a plain redelivery is fine
    expect((await logs.log(e, 0).state()).size).toBe(3);
  });
});
