// CPU per vote of the edge: nginx (edge/urna.conf.template) against the old Node gateway
// (gateway/), in one run, in front of the same ingest. Alternating rounds of N votes (distinct
// users, so every vote is a 202) through each; CPU from /proc (nginx: master + workers).
// Loopback only, bounded. Usage: node --import tsx scripts/load/edge-cpu.ts [-- --votes 10000 --rounds 3 --concurrency 64]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { mintVotingToken } from '@urna/auth';
import { freePort } from '@urna/embedded';
import { REPO_ROOT, startStack } from '../launcher/stack.ts';
import { cpuSeconds, fmt } from './measure.ts';

const { values: args } = parseArgs({ options: {
  votes: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '64' },
} });
const VOTES = Number(args.votes);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);

// all load comes from 127.0.0.1: the per-address edge limits and ingest's per-user limit are
// raised for this run (said here, not silently)
const limits = { URNA_CHALLENGE_DEFAULT: 'off', URNA_RL_USER_VOTES: '1000000', URNA_EDGE_REQ_PER_SEC: '1000000', URNA_EDGE_REQ_BURST: '1000000', URNA_EDGE_CONN_PER_IP: '60000', URNA_EDGE_WORKERS: '1' };
console.log(`edge-cpu: limits set for this run: ${JSON.stringify(limits)}`);
const dataDir = mkdtempSync(join(tmpdir(), 'urna-edgecpu-'));
const stack = await startStack({ dataDir, ports: 'free', logs: 'files', dynamoOnDisk: false, env: limits });
const secret = Buffer.from(stack.env.URNA_VOTING_TOKEN_SECRET as string, 'base64url');

const gatewayPort = await freePort();
const gateway = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
  cwd: REPO_ROOT, stdio: 'ignore',
  env: { ...process.env, URNA_GATEWAY_PORT: String(gatewayPort), URNA_INGEST_URL: stack.urls.ingest, URNA_RESULTS_URL: stack.urls.results },
});
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${gatewayUrl}/healthz`)).ok) break;
  } catch {
    if (i > 200) throw new Error('gateway did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const edgePid = stack.services.get('edge')?.pid as number;
const nginxPids = (): number[] => {
  const children = `/proc/${edgePid}/task/${edgePid}/children`;
  return [edgePid, ...(existsSync(children) ? readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [])];
};
const cpuOf = (which: 'nginx' | 'gateway') => (which === 'nginx' ? nginxPids().reduce((sum, pid) => sum + cpuSeconds(pid), 0) : cpuSeconds(gateway.pid as number));

const admin = ((await (await fetch(`${stack.urls.gateway}/v1/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'cpu-admin', role: 'admin' }) })).json()) as { token: string }).token;
await fetch(`${stack.urls.gateway}/v1/elections`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'edgecpu', title: 'edge cpu', options: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }] }) });
await fetch(`${stack.urls.gateway}/v1/elections/edgecpu/open`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });

async function round(which: 'nginx' | 'gateway', r: number): Promise<{ cpuMsPerVote: number; votesPerSecond: number; bad: number }> {
  const pool = new Pool(which === 'nginx' ? stack.urls.gateway : gatewayUrl, { connections: CONCURRENCY });
  const tokens = Array.from({ length: VOTES }, (_, i) => mintVotingToken({ userId: `${which}-${r}-${i}`, role: 'voter' }, secret, 900));
  let next = 0;
  let bad = 0;
  const cpu0 = cpuOf(which);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < VOTES) {
      const token = tokens[next++] as string;
      const response = await pool.request({ method: 'POST', path: '/v1/elections/edgecpu/votes', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"optionId":"a"}' });
      await response.body.text();
      if (response.statusCode !== 202) bad++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  // nginx's CPU ticks are read from /proc at 10 ms resolution: wait a tick before reading
  await new Promise((res) => setTimeout(res, 50));
  const cpu = cpuOf(which) - cpu0;
  await pool.close();
  return { cpuMsPerVote: (cpu * 1000) / VOTES, votesPerSecond: VOTES / seconds, bad };
}

try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const which of ['nginx', 'gateway'] as const) {
      const result = await round(which, r);
      console.log(`${which.padEnd(8)} round ${r + 1}: ${fmt(result.cpuMsPerVote * 1000, 1)} µs CPU per vote, ${fmt(result.votesPerSecond, 0)} votes/s, non-202: ${result.bad}`);
    }
  }
} finally {
  gateway.kill('SIGTERM');
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
