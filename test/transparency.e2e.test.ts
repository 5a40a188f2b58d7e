/**
 * Issue 11 through the running stack (every service its own process, the nginx edge in front):
 * signed receipts with the 202, the transparency projection SIGKILLed twice mid-stream, a close
 * with votes after it (a stale ingest, simulated by appending to the log), then every voter's
 * proof verifies against the final checkpoint, `npm run verify` on the served export prints OK
 * with the official counts, and a clean rebuild of the projection gives the same roots.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { VoteLog } from '@urna/log';
import { startWorker, TransparencyProjection } from '@urna/tally-worker';
import {
  leafHash,
  openCheckpoint,
  parseLeaf,
  receiptSigningString,
  signerFromSkey,
  verifierFromVkey,
  verifyInclusion,
  type Receipt,
} from '@urna/transparency';
import { RedisElectionLogs } from '@urna/transparency/redis';
import { LiveTally } from '@urna/tally';

import { api, openStackLog, startTestStack, type TestStack, staleVotes } from './stack.ts';
import { eventually, randomName } from './helpers.ts';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';

const PARTITIONS = 8;

interface Proof {
  electionId: string;
  partition: number;
  leafIndex: number;
  treeSize: number;
  leaf: string;
  inclusion: string[];
  checkpoint: string;
  close?: { leafIndex: number; leaf: string; inclusion: string[] };
}

describe('transparency through the stack (Redis log)', () => {
  let s: TestStack;
  let log: VoteLog;
  let redis: Redis;
  beforeAll(async () => {
    s = await startTestStack({ URNA_RL_IP_FAILURES: '1000000', URNA_LOG_PARTITIONS: String(PARTITIONS) });
    redis = new Redis(s.stack.urls.redis);
    log = await openStackLog(s, PARTITIONS);
  });
  afterAll(async () => {
    await log?.close();
    redis?.disconnect();
    await s?.stop();
  });

  it('receipts, proofs against the final checkpoint, the verifier on the export, and a SIGKILLed projection rebuilding the same roots', async () => {
    const admin = await s.adminToken();
    const id = randomName('tr');
    const options = ['a', 'b', 'c'];
    const created = await api(s.gateway, 'POST', '/v1/elections', admin, {
      id,
      title: id,
      options: options.map((o) => ({ id: o, label: o })),
      challenge: 'off',
    });
    expect(created.status).toBe(201);
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/open`, admin)).status).toBe(200);
    const keys = await api<{ keys: Array<{ name: string; publicKey: string; vkey: string }> }>(s.gateway, 'GET', '/v1/transparency/keys');
    expect(keys.status).toBe(200);
    const vkey = keys.json.keys[0]?.vkey as string;
    const verifier = verifierFromVkey(vkey);
    expect(keys.json.keys[0]?.publicKey).toBe(verifier.publicKey.toString('base64'));

    // 400 voters, 80 of them twice; the transparency projection is SIGKILLed twice meanwhile
    const ballots = Array.from({ length: 400 }, (_, i) => ({ userId: `tv-${i}`, optionId: options[i % 3] as string }));
    for (let i = 0; i < 80; i++) ballots.push({ userId: `tv-${(i * 37) % 400}`, optionId: options[(i + 1) % 3] as string });
    const transparency = s.stack.services.get('tally-transparency');
    const receipts: Receipt[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ballots.length) {
          const ballot = ballots[next++] as (typeof ballots)[number];
          if (next === 120 || next === 300) transparency?.kill9();
          const r = await api<{ voteId: string; receipt: Receipt }>(
            s.gateway,
            'POST',
            `/v1/elections/${id}/votes`,
            s.voterToken(ballot.userId),
            {
              optionId: ballot.optionId,
            },
          );
          expect(r.status).toBe(202);
          expect(r.json.receipt.voteId).toBe(r.json.voteId);
          receipts.push(r.json.receipt);
        }
      }),
    );
    for (const receipt of receipts) {
      const { signature, ...fields } = receipt;
      expect(verifier.verify(Buffer.from(receiptSigningString(fields)), Buffer.from(signature, 'base64'))).toBe(true);
    }

    // close with the store projection paused, so that votes appended after the markers (what an
    // ingest with a stale cache does) reach it before the recount can fold the history
    await eventually('store drained', async () => {
      const b = await log.backlog('vote-store');
      return b.undelivered + b.pending === 0 ? true : undefined;
    });
    const store = s.stack.services.get('tally-store');
    await store?.pause();
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    const late = staleVotes(id, ['tv-1', 'tv-2', 'late-1', 'late-2', 'late-3']);
    await log.append(late);
    store?.start();

    const reconciliation = await eventually(
      'official result',
      async () => {
        const r = await api<{ accepted: number; counted: number; rejected: Record<string, number>; counts: Record<string, number> }>(
          s.gateway,
          'GET',
          `/v1/elections/${id}/reconciliation`,
        );
        return r.status === 200 ? r.json : undefined;
      },
      180_000,
    );
    expect(reconciliation).toMatchObject({ accepted: 485, counted: 400, rejected: { duplicate: 80, 'after-close': 5 } });
    expect(transparency?.restartCount).toBeGreaterThanOrEqual(2);

    // the export is served once every partition's final checkpoint is cut
    const exportUrl = `${s.gateway}/v1/elections/${id}/export`;
    const text = await eventually('export', async () => {
      const r = await fetch(exportUrl);
      return r.status === 200 ? r.text() : (await r.arrayBuffer(), undefined);
    });
    const records = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; partition?: number; note?: string; leaf?: string });
    const finalNotes = new Map(records.filter((r) => r.type === 'checkpoint').map((r) => [r.partition as number, r.note as string]));
    expect(finalNotes.size).toBe(PARTITIONS);
    expect(records.filter((r) => r.type === 'leaf')).toHaveLength(485 + PARTITIONS);

    // every voter's proof verifies against the final checkpoint, and its leaf is the receipt's
    for (const receipt of receipts) {
      const proof = await api<Proof>(s.gateway, 'GET', `/v1/elections/${id}/proofs/${receipt.voteId}`);
      expect(proof.status).toBe(200);
      const p = proof.json;
      expect(p.checkpoint).toBe(finalNotes.get(p.partition));
      const leaf = parseLeaf(p.leaf);
      expect(leaf).toMatchObject({
        kind: 'vote',
        electionId: id,
        partition: receipt.partition,
        position: receipt.position,
        voteId: receipt.voteId,
        pseudonym: receipt.pseudonym,
        optionId: receipt.optionId,
      });
      const checkpoint = openCheckpoint(p.checkpoint, [verifier], `urna/${id}/${p.partition}`);
      expect(checkpoint.size).toBe(p.treeSize);
      const inclusion = p.inclusion.map((h) => Buffer.from(h, 'base64'));
      verifyInclusion(p.leafIndex, p.treeSize, leafHash(p.leaf), inclusion, checkpoint.root);
      expect(p.close?.leafIndex).toBeGreaterThan(p.leafIndex); // every 202 here came before the close
    }
    const tampered = (await api<Proof>(s.gateway, 'GET', `/v1/elections/${id}/proofs/${receipts[0]?.voteId}`)).json;
    const root = openCheckpoint(tampered.checkpoint, [verifier]).root;
    const otherLeaf = tampered.leaf.replace(/\n[abc]\n/, (m) => (m === '\na\n' ? '\nb\n' : '\na\n'));
    expect(() =>
      verifyInclusion(
        tampered.leafIndex,
        tampered.treeSize,
        leafHash(otherLeaf),
        tampered.inclusion.map((h) => Buffer.from(h, 'base64')),
        root,
      ),
    ).toThrow();

    // the independent verifier on the served export: OK, with the official counts
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify/main.ts', exportUrl, '--key', vkey], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stdout).toContain('OK');
    expect(run.status).toBe(0);
    const counts = Object.entries(reconciliation.counts)
      .map(([o, n]) => `${o} ${n}`)
      .join(', ');
    expect(run.stdout).toContain(`result: ${counts}`);
    expect(run.stdout).toContain('485 votes in the log, 400 counted, 80 duplicates, 5 after the close');

    // a clean rebuild from the log (own consumer group, own keys) gives the same final roots
    const ingestEnv = s.stack.services.get('ingest')?.spec.env ?? {};
    const logs = new RedisElectionLogs(redis, { prefix: randomName('test:tlog-rebuild') });
    const rebuild = new TransparencyProjection(randomName('rebuild'), {
      logs,
      signer: signerFromSkey(ingestEnv.URNA_TRANSPARENCY_KEY as string),
      rootSecret: Buffer.from(ingestEnv.URNA_PSEUDONYM_SECRET as string, 'base64url'),
      partitions: PARTITIONS,
      closingScope: randomName('rebuild'),
      reconciliation: (e) => new LiveTally({ redis }).reconciliation(e),
    });
    const worker = await startWorker({ log, projection: rebuild, consumer: 'rebuild-1', registry: new Registry() });
    try {
      for (const [p, note] of finalNotes) {
        const final = openCheckpoint(note, [verifier]);
        const rebuilt = await eventually(`rebuilt tree ${p}`, async () => {
          const state = await logs.log(id, p).state();
          return state.size >= final.size ? logs.log(id, p).root(final.size) : undefined;
        });
        expect(rebuilt.toString('base64')).toBe(Buffer.from(final.root).toString('base64'));
      }
    } finally {
      await worker.stop();
      const left = await redis.keys(`${logs.prefix}:*`);
      if (left.length > 0) await redis.del(...left);
    }
  }, 600_000);
});
