import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Pool } from 'undici';
import { LiveTally } from '@urna/tally';
import type { LoggedVote } from '@urna/domain';
import { freePort } from '@urna/embedded';
import { cpuSeconds } from '../measure.ts';

/**
 * Ceiling 1: a bare node:http server (its own process) answering the same POST with 202 after
 * reading the body: what one Node process can do per CPU-second with no work at all.
 */
export async function barePostCeiling(seconds: number, connections = 64): Promise<{ perCpuSecond: number; perSecond: number }> {
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      '-e',
      `
    require('node:http').createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"voteId":"00000000-0000-0000-0000-000000000000","status":"accepted"}'));
    }).listen(${port}, '127.0.0.1', () => console.log('ready'));
  `,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => server.stdout?.once('data', resolve));
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections });
  const body = JSON.stringify({ optionId: 'a' });
  const cpu0 = cpuSeconds(server.pid as number);
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() - t0 < seconds * 1000) {
        const r = await pool.request({
          method: 'POST',
          path: '/v1/elections/x/votes',
          headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
          body,
        });
        await r.body.dump();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid as number) - cpu0;
  await pool.close();
  server.kill();
  return { perCpuSecond: done / cpu, perSecond: done / elapsed };
}

/**
 * Ceiling 2: the live tally's own Lua (dedupe + count, 500 votes per EVALSHA) called straight,
 * with pre-built batches and no worker around it: Redis's limit for the same work.
 */
export async function luaCeiling(redis: Redis, votes: number, redisPid: number): Promise<{ perSecond: number; redisCpuPerSecond: number }> {
  const tally = new LiveTally({ redis });
  await tally.loadScripts();
  const electionId = `ceiling-${randomUUID().slice(0, 8)}`;
  await tally.initElection(electionId, ['a', 'b', 'c']);
  const batches = luaBatches(electionId, votes);
  const cpu0 = cpuSeconds(redisPid);
  const elapsed = await applyLuaBatches(tally, batches);
  return { perSecond: (batches.length * 500) / elapsed, redisCpuPerSecond: (cpuSeconds(redisPid) - cpu0) / elapsed };
}

/** `votes` distinct voters' votes for options a, b, c in batches of 500, one partition: the Lua benches' input. */
export function luaBatches(electionId: string, votes: number): LoggedVote[][] {
  return Array.from({ length: Math.ceil(votes / 500) }, (_, b) =>
    Array.from({ length: 500 }, (_, i): LoggedVote => {
      const n = b * 500 + i;
      return {
        vote: { voteId: randomUUID(), electionId, userId: `u-${n}`, optionId: ['a', 'b', 'c'][n % 3] as string, acceptedAt: 0 },
        partition: 0,
        position: String(n).padStart(20, '0'),
      };
    }),
  );
}

/** Applies the batches with a few calls in flight, as several workers would keep Redis busy; returns the seconds it took. */
export async function applyLuaBatches(tally: LiveTally, batches: readonly LoggedVote[][]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) await tally.apply(batches[next++] ?? []);
    }),
  );
  return (performance.now() - t0) / 1000;
}
