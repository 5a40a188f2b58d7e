/**
 * The Redis TreeStore on the real redis-server of the global set-up: the TreeStore contract,
 * and a MerkleLog on it giving the RFC 9162 roots and proofs.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MerkleLog } from '../src/merkle-log.ts';
import { RedisCheckpointStore, RedisTreeStore } from '../src/redis.ts';
import { checkpointStoreContract } from './checkpoint-store-contract.ts';
import { verifyConsistency, verifyInclusion } from '../src/verify.ts';
import { leafHashesOf, referenceRoot, syntheticLeaves } from './reference-tree.ts';
import { treeStoreContract } from './tree-store-contract.ts';

const redis = new Redis(inject('redisUrl'));
const prefix = `test-tlog-${randomUUID()}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

treeStoreContract('redis', () => new RedisTreeStore(redis, { prefix }));
checkpointStoreContract('redis', () => new RedisCheckpointStore(redis, { prefix }));

describe('MerkleLog on Redis', () => {
  it('appends 3,000 leaves in uneven batches and serves RFC 9162 roots and proofs from Redis', async () => {
    const hashes = leafHashesOf(syntheticLeaves(3000));
    const writer = new MerkleLog(new RedisTreeStore(redis, { prefix }), 'e/0');
    for (let from = 0; from < hashes.length; from += 333) await writer.append(hashes.slice(from, from + 333), String(from));
    const reader = new MerkleLog(new RedisTreeStore(redis, { prefix }), 'e/0');
    expect(await reader.state()).toEqual({ size: 3000, cursor: '2997' });
    const root = referenceRoot(hashes);
    expect((await reader.root()).equals(root)).toBe(true);
    for (const index of [0, 1, 1234, 2047, 2048, 2999])
      verifyInclusion(index, 3000, hashes[index] as Buffer, await reader.inclusionProof(index, 3000), root);
    verifyConsistency(1000, 3000, await reader.consistencyProof(1000, 3000), referenceRoot(hashes.slice(0, 1000)), root);
  });
});
