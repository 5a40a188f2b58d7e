/**
 * The public transparency endpoints on the real redis-server: answers built from a tree the
 * package wrote, and every bad input refused with `{error:{code,message}}` and the right 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createTokenVerifier } from '@urna/auth';
import { LiveTally } from '@urna/tally';
import {
  formatLeaf,
  generateSigner,
  leafHash,
  openCheckpoint,
  publishCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@urna/transparency';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { buildResultsApp } from '../src/app.ts';
import { ResultsHub } from '../src/results-hub.ts';
import { randomName, testRedis } from '../../test/helpers.ts';

const redis = testRedis();
const tally = new LiveTally({ redis, buckets: 64 });
const prefix = randomName('test:tlog');
const logs = new RedisElectionLogs(redis, { prefix });
const signer = generateSigner('urna.test/log');
const known = new Set<string>();
const app = buildResultsApp({
  tally,
  hub: new ResultsHub(tally, testRedis()),
  verifier: createTokenVerifier({ issuer: 'x', audience: 'y', votingSecret: Buffer.alloc(32, 3) }),
  registry: new Registry(),
  transparency: { logs, partitions: 2, vkey: signer.vkey, exists: async (id) => known.has(id), official: async () => undefined },
});
const id = randomName('e');
const leaves = Array.from({ length: 5 }, (_, i) =>
  formatLeaf({
    kind: 'vote',
    electionId: id,
    partition: 1,
    position: String(i + 1).padStart(20, '0'),
    voteId: `v${i}`,
    pseudonym: 'ab'.repeat(32),
    optionId: 'a',
    salt: 'cd'.repeat(16),
  }),
);

beforeAll(async () => {
  known.add(id);
  const log = logs.log(id, 1);
  await logs.writeLeaves(
    id,
    1,
    0,
    leaves.slice(0, 3).map((leaf, i) => ({ leaf, voteId: `v${i}` })),
  );
  await log.append(
    leaves.slice(0, 3).map((l) => leafHash(l)),
    '3',
  );
  await publishCheckpoint(log, logs.checkpoints, signer, id, 1);
  await logs.writeLeaves(
    id,
    1,
    3,
    leaves.slice(3).map((leaf, i) => ({ leaf, voteId: `v${3 + i}` })),
  );
  await log.append(
    leaves.slice(3).map((l) => leafHash(l)),
    '5',
  );
  await publishCheckpoint(log, logs.checkpoints, signer, id, 1);
});
afterAll(async () => {
  await app.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const get = async (url: string) => {
  const r = await app.inject({ method: 'GET', url });
  return { status: r.statusCode, json: r.json() as Record<string, unknown> & { error?: { code: string; message: string } } };
};

describe('transparency endpoints', () => {
  it('serve the key, the latest checkpoints, an inclusion proof and a consistency proof that verify', async () => {
    expect((await get('/v1/transparency/keys')).json).toEqual({
      keys: [{ name: 'urna.test/log', publicKey: signer.publicKey.toString('base64'), vkey: signer.vkey }],
    });
    const checkpoints = await get(`/v1/elections/${id}/checkpoints`);
    expect(checkpoints.status).toBe(200);
    const note = (checkpoints.json.checkpoints as Record<string, string>)['1'] as string;
    expect(Object.keys(checkpoints.json.checkpoints as object)).toEqual(['1']);
    const root = openCheckpoint(note, [signer], `urna/${id}/1`).root;

    const proof = await get(`/v1/elections/${id}/proofs/v3`);
    expect(proof.json).toMatchObject({ electionId: id, partition: 1, leafIndex: 3, treeSize: 5, leaf: leaves[3], checkpoint: note });
    verifyInclusion(
      3,
      5,
      leafHash(leaves[3] as string),
      (proof.json.inclusion as string[]).map((h) => Buffer.from(h, 'base64')),
      root,
    );

    const consistency = await get(`/v1/elections/${id}/partitions/1/consistency?from=3&to=5`);
    expect(consistency.status).toBe(200);
    const first = await logs.checkpoints.atSize(`${id}/1`, 3);
    const hashes = (consistency.json.proof as string[]).map((h) => Buffer.from(h, 'base64'));
    verifyConsistency(3, 5, hashes, first?.root as Buffer, root);
  });

  it.each([
    ['/v1/elections/nope-x/checkpoints', 404, 'ELECTION_NOT_FOUND'],
    ['/v1/elections/ID/proofs/not.a.vote', 400, 'BAD_REQUEST'],
    ['/v1/elections/ID/proofs/unknown', 404, 'PROOF_NOT_FOUND'],
    ['/v1/elections/ID/partitions/x/consistency?from=0&to=3', 404, 'PARTITION_NOT_FOUND'],
    ['/v1/elections/ID/partitions/2/consistency?from=0&to=3', 404, 'PARTITION_NOT_FOUND'],
    ['/v1/elections/ID/partitions/1/consistency?from=a&to=3', 400, 'BAD_REQUEST'],
    ['/v1/elections/ID/partitions/1/consistency?to=3', 400, 'BAD_REQUEST'],
    ['/v1/elections/ID/partitions/1/consistency?from=5&to=3', 400, 'BAD_REQUEST'],
    ['/v1/elections/ID/partitions/1/consistency?from=3&to=4', 404, 'CHECKPOINT_NOT_FOUND'],
    ['/v1/elections/ID/export', 409, 'RESULT_NOT_FINAL'],
  ])('GET %s → %i %s', async (url, status, code) => {
    const r = await get(url.replace('ID', id));
    expect(r.status).toBe(status);
    expect(r.json.error?.code).toBe(code);
    expect(r.json.error?.message.length).toBeGreaterThan(0);
  });
});
