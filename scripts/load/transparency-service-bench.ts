// The service side of the transparency log, on a real redis-server (AOF, appendfsync always)
// started for the run (part of `npm run bench:transparency`):
// 1. leaves/s the transparency projection appends (TransparencyProjection.apply on batches of
//    500 votes over 4 partitions, as the worker receives them; this process's CPU = one core),
//    next to the in-memory tree append of the same votes (the ceiling without Redis);
// 2. proof serving: GET /v1/elections/:id/proofs/:voteId through the results-sse app (inject),
//    p50/p99 over random votes;
// 3. the receipt's Ed25519 signature per vote (ReceiptSigner.sign), µs per CPU, next to the
//    HMAC pseudonym alone.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { LoggedVote } from '@urna/domain';
import { RedisServer } from '@urna/embedded';
import { createTokenVerifier } from '@urna/auth';
import { LiveTally } from '@urna/tally';
import { electionSecretsOf, generateSigner, InMemoryTreeStore, leafHash, MerkleLog, pseudonymOf } from '@urna/transparency';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { TransparencyProjection } from '@urna/tally-worker';
import { buildResultsApp, ResultsHub } from '@urna/results-sse';
import { ReceiptSigner } from '@urna/ingest';
import { fmt, percentile } from './measure.ts';

const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function benchTransparencyService(votes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'urna-tlog-bench-'));
  const server = await RedisServer.start({ dataDir: dir });
  const redis = new Redis(server.url);
  try {
    const signer = generateSigner('urna.bench/log');
    const root = randomBytes(32);
    const electionId = 'bench';
    const partitions = 4;
    const logs = new RedisElectionLogs(redis);
    const projection = new TransparencyProjection('transparency', {
      logs,
      signer,
      rootSecret: root,
      partitions,
      closingScope: 'bench',
      reconciliation: async () => undefined,
    });
    const all: LoggedVote[] = Array.from({ length: votes }, (_, i) => ({
      vote: { voteId: `v${i}`, electionId, userId: `user-${i}`, optionId: ['a', 'b', 'c'][i % 3] as string, acceptedAt: 1 },
      partition: i % partitions,
      position: String(Math.floor(i / partitions) + 1).padStart(20, '0'),
    }));

    const t0 = performance.now();
    let c0 = cpuS();
    for (let from = 0; from < votes; from += 500) await projection.apply(all.slice(from, from + 500), []);
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuS() - c0;
    await projection.tick();

    // the ceiling: the same leaves' hashes into an in-memory tree (no Redis, no leaf texts, no index)
    const secrets = electionSecretsOf(root, electionId);
    const memory = new MerkleLog(new InMemoryTreeStore(), 'mem/0');
    c0 = cpuS();
    for (let from = 0; from < votes; from += 500) {
      const batch = all.slice(from, from + 500).map((r) => leafHash(`${r.vote.voteId}\n${pseudonymOf(secrets.pseudonym, r.vote.userId)}`));
      await memory.append(batch, String(from));
    }
    const ceilingCpu = cpuS() - c0;
    console.log(
      `transparency projection on Redis: ${votes} votes in batches of 500 over ${partitions} partitions: ${fmt(votes / wall, 0)} leaves/s wall, ${fmt(votes / cpu, 0)} leaves per CPU-s of the worker; ceiling (pseudonym + hashes into an in-memory tree) ${fmt(votes / ceilingCpu, 0)} per CPU-s → ratio ${fmt(ceilingCpu / cpu, 2)}`,
    );

    // proofs through the results-sse app
    const tally = new LiveTally({ redis });
    await tally.initElection(electionId, ['a', 'b', 'c']);
    const subscriber = new Redis(server.url);
    const app = buildResultsApp({
      tally,
      hub: new ResultsHub(tally, subscriber),
      verifier: createTokenVerifier({ issuer: 'x', audience: 'y', votingSecret: Buffer.alloc(32, 1) }),
      registry: new Registry(),
      transparency: { logs, partitions, vkey: signer.vkey, exists: async () => true, official: async () => undefined },
    });
    const latencies: number[] = [];
    for (let k = 0; k < 3000; k += 1) {
      const s = performance.now();
      const r = await app.inject({ method: 'GET', url: `/v1/elections/${electionId}/proofs/v${Math.floor(Math.random() * votes)}` });
      latencies.push(performance.now() - s);
      if (r.statusCode !== 200) throw new Error(`proof: ${r.statusCode} ${r.body}`);
    }
    await app.close();
    subscriber.disconnect();
    console.log(
      `proof serving (results-sse app, inject, Redis; trees of ~${fmt(votes / partitions, 0)} leaves): p50 ${fmt(percentile(latencies, 50), 2)} ms, p99 ${fmt(percentile(latencies, 99), 2)} ms`,
    );

    // the receipt's signature, per vote
    const receipts = new ReceiptSigner(signer, root);
    const n = 20_000;
    c0 = cpuS();
    for (let i = 0; i < n; i += 1) receipts.sign(all[i % votes] as LoggedVote);
    const signUs = ((cpuS() - c0) / n) * 1e6;
    c0 = cpuS();
    for (let i = 0; i < n; i += 1) pseudonymOf(secrets.pseudonym, `user-${i}`);
    const hmacUs = ((cpuS() - c0) / n) * 1e6;
    console.log(
      `signed receipt (ReceiptSigner.sign: pseudonym HMAC + Ed25519): ${fmt(signUs, 1)} µs of CPU per vote (${fmt(1e6 / signUs, 0)} receipts per CPU-s); the pseudonym HMAC alone ${fmt(hmacUs, 1)} µs`,
    );
  } finally {
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
