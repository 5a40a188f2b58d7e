import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisCluster } from '@urna/embedded';
import { loadConfig, readModelRedis, sharedConfigShape, type RedisClient } from '@urna/service-kit';
import { LiveTally } from '@urna/tally';
import { cpuSeconds, fmt } from '../measure.ts';
import { applyLuaBatches, luaBatches } from './ceilings.ts';

/** One configuration of the live tally's Lua path, measured over the same pre-built votes. */
export interface ClusterCostRow {
  readonly target: 'single redis-server' | 'Redis Cluster 3+3';
  readonly subShards: number;
  readonly votesPerSecond: number;
  /** CPU ms per vote of every redis-server process of the target (a cluster: primaries and replicas). */
  readonly redisCpuMsPerVote: number;
  /** The same, primaries only (equal to the above on one server). */
  readonly primaryCpuMsPerVote: number;
}

export interface ClusterCost {
  readonly votes: number;
  readonly rounds: number;
  readonly rows: ClusterCostRow[];
}

/**
 * The Redis Cluster's cost against the single server, in one run: the live tally's Lua
 * (`applyVotes-N.lua`, 500 votes per call, 4 calls in flight as several workers keep Redis busy)
 * over `votes` pre-built votes, on the stack's redis-server (AOF always) and on a local cluster
 * of 3 primaries + 3 replicas started here (AOF always on every node, asynchronous replication),
 * each with 1 and 8 sub-shards per election. Configurations alternate, `rounds` times, and the
 * rows are the rounds' means, so both targets see the same machine load.
 */
export async function clusterCost(
  single: Redis,
  singlePid: number,
  dataDir: string,
  votes: number,
  say: (m: string) => void,
  rounds = 2,
): Promise<ClusterCost> {
  const dir = mkdtempSync(join(dataDir, 'bench-cluster-'));
  say('cluster: starting a local Redis Cluster (3 primaries + 3 replicas)');
  const cluster = await RedisCluster.start({ dataDir: dir, maxmemory: '512mb' });
  const client = await readModelRedis(loadConfig(z.object(sharedConfigShape), { URNA_REDIS_CLUSTER: cluster.seeds }), 'patient');
  // the primaries as the client's slot map has them (which node is which is decided by redis-cli)
  const primaryPorts = new Set((client as Exclude<RedisClient, Redis>).nodes('master').map((n) => n.options.port));
  const clusterPids = cluster.nodes.map((n) => n.pid as number);
  const clusterPrimaryPids = cluster.nodes.filter((n) => primaryPorts.has(n.port)).map((n) => n.pid as number);
  const targets = [
    { target: 'single redis-server' as const, redis: single as RedisClient, pids: [singlePid], primaryPids: [singlePid] },
    { target: 'Redis Cluster 3+3' as const, redis: client, pids: clusterPids, primaryPids: clusterPrimaryPids },
  ];
  const samples = new Map<string, ClusterCostRow[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const subShards of [1, 8]) {
        for (const t of targets) {
          say(`cluster: round ${round + 1}, ${t.target}, ${subShards} sub-shard(s), ${votes} votes`);
          const row = await measure(t.redis, t.pids, t.primaryPids, votes, subShards);
          const key = `${t.target}|${subShards}`;
          samples.set(key, [...(samples.get(key) ?? []), { target: t.target, subShards, ...row }]);
        }
      }
    }
  } finally {
    client.disconnect();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const mean = (rows: ClusterCostRow[], f: (r: ClusterCostRow) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  return {
    votes,
    rounds,
    rows: [...samples.values()].map((rows) => ({
      target: rows[0]!.target,
      subShards: rows[0]!.subShards,
      votesPerSecond: mean(rows, (r) => r.votesPerSecond),
      redisCpuMsPerVote: mean(rows, (r) => r.redisCpuMsPerVote),
      primaryCpuMsPerVote: mean(rows, (r) => r.primaryCpuMsPerVote),
    })),
  };
}

async function measure(
  redis: RedisClient,
  pids: readonly number[],
  primaryPids: readonly number[],
  votes: number,
  subShards: number,
): Promise<Omit<ClusterCostRow, 'target' | 'subShards'>> {
  const tally = new LiveTally({ redis, subShards });
  await tally.loadScripts();
  const electionId = `cluster-${randomUUID().slice(0, 8)}`;
  await tally.initElection(electionId, ['a', 'b', 'c']);
  const batches = luaBatches(electionId, votes);
  const cpu = (of: readonly number[]) => of.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const [all0, primary0] = [cpu(pids), cpu(primaryPids)];
  const elapsed = await applyLuaBatches(tally, batches);
  const applied = batches.length * 500;
  return {
    votesPerSecond: applied / elapsed,
    redisCpuMsPerVote: ((cpu(pids) - all0) * 1000) / applied,
    primaryCpuMsPerVote: ((cpu(primaryPids) - primary0) * 1000) / applied,
  };
}

/** The section's table: each row with its ratio to the single server with the same sub-shards. */
export function formatClusterCost(cost: ClusterCost): string {
  const base = (subShards: number) => cost.rows.find((r) => r.target === 'single redis-server' && r.subShards === subShards);
  const pct = (a: number, b: number | undefined) => (b === undefined ? 'n/a' : `${fmt((100 * a) / b, 0)}%`);
  return `cluster    live-tally Lua, ${cost.votes} votes × ${cost.rounds} rounds (means), 500 votes/call, 4 in flight, AOF always
           target                sub-shards   votes/s  ÷ single   redis CPU µs/vote (all nodes)  primaries only  ÷ single (all)
${cost.rows
  .map(
    (r) =>
      `           ${r.target.padEnd(21)} ${String(r.subShards).padStart(10)} ${fmt(r.votesPerSecond, 0).padStart(9)} ${pct(r.votesPerSecond, base(r.subShards)?.votesPerSecond).padStart(9)} ${fmt(r.redisCpuMsPerVote * 1000, 2).padStart(30)} ${fmt(r.primaryCpuMsPerVote * 1000, 2).padStart(15)} ${pct(r.redisCpuMsPerVote, base(r.subShards)?.redisCpuMsPerVote).padStart(15)}`,
  )
  .join('\n')}`;
}
