import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECTION_GROUPS } from '@urna/domain';
import { freePort } from '@urna/embedded';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';
import { api, createElection, startTestStack, type TestStack } from './stack.ts';
import { eventually } from './helpers.ts';

/*
 * Workers that balance the Redis log's partitions among themselves (leases): extra live-tally
 * workers join and one is SIGKILLed during a storm; after the lease time every partition has
 * one live owner, and the counts are exact (official == live, every 202 accounted for).
 */
const LEASE_MS = 2_000;
const PARTITIONS = 8;
let s: TestStack;
const redis = new Redis(inject('redisUrl'));
const extra = new Map<string, ChildProcess>();

async function startLiveWorker(name: string): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'tally-worker/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...s.stack.env, URNA_PROJECTION: 'live', URNA_WORKER_NAME: name, URNA_WORKER_PORT: String(port) },
    stdio: 'ignore',
  });
  extra.set(name, child);
  await eventually(
    `${name} healthy`,
    async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
  );
}

/** The member holding each partition's lease of the live projection (undefined: none). */
const owners = async () =>
  Promise.all(
    Array.from(
      { length: PARTITIONS },
      async (_, p) => (await redis.get(`${s.logPrefix}:lease:{${PROJECTION_GROUPS.live}}:${p}`))?.split('|')[0],
    ),
  );

beforeAll(async () => {
  // the idle-claim fallback is pushed out of the way: a dead member's records must move with its leases
  s = await startTestStack({ URNA_WORKER_LEASE_MS: String(LEASE_MS), URNA_WORKER_CLAIM_IDLE_MS: '120000', URNA_RL_IP_FAILURES: '1000000' });
}, 120_000);
afterAll(async () => {
  for (const child of extra.values()) child.kill('SIGKILL');
  await s?.stop();
  redis.disconnect();
});

describe('live-tally workers balancing the Redis log with leases', () => {
  it('workers join and one is SIGKILLed mid-storm: one live owner per partition after the lease time, and nothing lost or counted twice', async () => {
    const id = await createElection(s, { options: ['a', 'b'] });
    expect(new Set(await owners())).toEqual(new Set(['live-1'])); // alone, it holds every partition

    await startLiveWorker('live-2');
    await startLiveWorker('live-3');
    await eventually('three members share the partitions', async () => (new Set(await owners()).size === 3 ? true : undefined), 20_000);

    const votes = Array.from({ length: 1_800 }, (_, i) => ({ userId: `lw-${i % 1_500}`, optionId: i % 3 === 0 ? 'b' : 'a' }));
    const accepted = new Set<string>();
    let next = 0;
    let statuses = 0;
    let joined: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < votes.length) {
          if (next === 600) {
            extra.get('live-2')?.kill('SIGKILL'); // mid-storm, holding whatever it had read
            joined = startLiveWorker('live-4');
          }
          const v = votes[next++] as { userId: string; optionId: string };
          const response = await api(s.gateway, 'POST', `/v1/elections/${id}/votes`, s.voterToken(v.userId), { optionId: v.optionId });
          if (response.status === 202) accepted.add(v.userId);
          else statuses++;
        }
      }),
    );
    await joined;
    expect(statuses).toBe(0);

    await eventually(
      'live-2’s partitions moved',
      async () => {
        const now = await owners();
        return now.every((o) => o !== undefined && o !== 'live-2') ? now : undefined;
      },
      LEASE_MS * 10,
    );
    const admin = await s.adminToken();
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    const rec = await eventually(
      'reconciliation',
      async () => {
        const r = await api<{ accepted: number; counted: number; liveMatched: boolean }>(
          s.gateway,
          'GET',
          `/v1/elections/${id}/reconciliation`,
        );
        return r.status === 200 ? r.json : undefined;
      },
      90_000,
    );
    expect(rec.accepted).toBe(votes.length);
    expect(rec.counted).toBe(accepted.size);
    expect(rec.liveMatched).toBe(true);
    // the audit reads a voter's history from DynamoDB on the stack's 8 log partitions (not the default 16)
    for (const userId of ['lw-0', 'lw-1', 'lw-2', 'lw-3', 'lw-4', 'lw-5', 'lw-6', 'lw-7']) {
      const audit = await api<{ votes: Array<{ status: string }> }>(
        s.gateway,
        'GET',
        `/v1/admin/elections/${id}/voters/${userId}/votes`,
        admin,
      );
      expect(audit.status).toBe(200);
      expect(audit.json.votes.map((v) => v.status)).toEqual(['counted', 'rejected']); // each voted twice
    }
  }, 240_000);
});
