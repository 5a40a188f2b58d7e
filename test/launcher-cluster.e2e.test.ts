import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { api, createElection, startTestStack, type TestStack, type TestStackIdentity } from './stack.ts';
import { eventually } from './helpers.ts';

/**
 * `URNA_REDIS_CLUSTER=embedded npm start`: the launcher starts a local Redis Cluster (3 primaries
 * + 3 replicas) next to the other servers, the read model lives there, and a restart on the same
 * data dir brings the same cluster back with its data (the live counts survive).
 */
let s: TestStack | undefined;
let identity: TestStackIdentity | undefined;
afterAll(async () => {
  await s?.stop();
  if (identity !== undefined) rmSync(identity.dataDir, { recursive: true, force: true });
});

describe('the launcher with URNA_REDIS_CLUSTER=embedded', () => {
  it('starts a local 3+3 cluster, counts votes on it, and keeps them across a restart', async () => {
    const env = { URNA_REDIS_CLUSTER: 'embedded', URNA_LOG: 'redis' };
    s = await startTestStack(env);
    identity = s.identity;
    const cluster = s.stack.redisCluster;
    expect(cluster?.nodes).toHaveLength(6);
    expect(s.stack.env.URNA_REDIS_CLUSTER).toBe(cluster?.seeds);
    expect(await cluster?.states()).toEqual(Array.from({ length: 6 }, () => 'ok'));

    const id = await createElection(s, { options: ['a', 'b'] });
    const vote = async (user: string, optionId: string) =>
      expect((await api(s!.gateway, 'POST', `/v1/elections/${id}/votes`, s!.voterToken(user), { optionId })).status).toBe(202);
    await vote('u1', 'a');
    await vote('u2', 'b');
    await vote('u1', 'b'); // a duplicate
    const counted = (total: number) => async () => {
      const results = await api<{ total: number; counts: Record<string, number> }>(s!.gateway, 'GET', `/v1/elections/${id}/results`);
      return results.json.total === total ? results.json : undefined;
    };
    expect(await eventually('2 counted', counted(2))).toMatchObject({ counts: { a: 1, b: 1 } });
    // the read model is on the cluster: its nodes hold the election's keys, the plain redis-server does not
    const keysOnCluster = await Promise.all(
      (cluster?.nodes ?? []).map(async (n) => {
        const reply = await fetchKeys(n.port, cluster!.password, `urna:tally:{${id}}:*`);
        return reply.length;
      }),
    );
    expect(keysOnCluster.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const ports = cluster?.nodes.map((n) => n.port);

    await s.stop({ keepData: true });
    s = await startTestStack(env, identity);
    expect(await eventually('the counts back after the restart', counted(2), 20_000)).toMatchObject({ counts: { a: 1, b: 1 } });
    expect(s.stack.redisCluster?.nodes.map((n) => n.port)).toEqual(ports);
    await vote('u3', 'a');
    expect(await eventually('3 counted', counted(3))).toMatchObject({ counts: { a: 2, b: 1 } });
  }, 240_000);
});

/** KEYS on one node (a plain connection: each node answers for its own slots). */
async function fetchKeys(port: number, password: string, pattern: string): Promise<string[]> {
  const node = new Redis({ host: '127.0.0.1', port, password });
  try {
    return await node.keys(pattern);
  } finally {
    node.disconnect();
  }
}
