/**
 * Issues 13 and 11: votes that reach the log after the close marker AND after the official
 * recount (an ingest process that validated them while the election was open appends them
 * late; simulated here by appending to the log with the stack's signing key). After the
 * drain, the published reconciliation accounts for every log record (late ones under
 * `after-close`), the official result's bytes and version do not move (no second SSE
 * `final`), the transparency projection moves each final checkpoint forward to cover the late
 * entries (consistent with the one before), and `urna verify` on the export prints OK.
 * Then commit before reveal (issue 11) for an election with hidden results: the commitment
 * opens to the official result, the export carries it, and a tampered nonce or result fails
 * `urna verify`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoteLog } from '@urna/log';
import { openCheckpoint, verifierFromVkey, verifyConsistency } from '@urna/transparency';
import { api, createElection, openStackLog, startTestStack, type TestStack, staleVotes } from './stack.ts';
import { eventually } from './helpers.ts';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';

const PARTITIONS = 4;

interface Reconciliation {
  accepted: number;
  counted: number;
  rejected: Record<string, number>;
  counts: Record<string, number>;
  entries?: Record<string, number>;
}

describe('votes reaching the log after the close and after the recount', () => {
  let s: TestStack;
  let log: VoteLog;
  beforeAll(async () => {
    s = await startTestStack({
      URNA_RL_IP_FAILURES: '1000000',
      URNA_LOG_PARTITIONS: String(PARTITIONS),
      URNA_LATE_WATCH_INTERVAL_MS: '500',
      ...(process.env.URNA_TEST_LATE_WATCH_MS === undefined ? {} : { URNA_LATE_WATCH_MS: process.env.URNA_TEST_LATE_WATCH_MS }),
    });
    log = await openStackLog(s, PARTITIONS);
  });
  afterAll(async () => {
    await log?.close();
    await s?.stop();
  });

  const reconciliationOf = async (id: string) => {
    const r = await api<Reconciliation>(s.gateway, 'GET', `/v1/elections/${id}/reconciliation`);
    return r.status === 200 ? r.json : undefined;
  };
  const exportOf = async (id: string) => {
    const r = await fetch(`${s.gateway}/v1/elections/${id}/export`);
    if (r.status !== 200) return void (await r.arrayBuffer());
    const records = (await r.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; partition?: number; note?: string });
    return {
      records,
      finals: new Map(records.filter((x) => x.type === 'checkpoint').map((x) => [x.partition as number, x.note as string])),
    };
  };
  const verifySource = (source: string, vkey: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verify/main.ts', source, '--key', vkey], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
  const verify = (id: string, vkey: string) => verifySource(`${s.gateway}/v1/elections/${id}/export`, vkey);

  it('re-reconciles them, leaves the official result alone, extends the final checkpoints, and the export still verifies', async () => {
    const admin = await s.adminToken();
    const id = await createElection(s, { extra: { challenge: 'off' } });
    const vkey = (await api<{ keys: Array<{ vkey: string }> }>(s.gateway, 'GET', '/v1/transparency/keys')).json.keys[0]?.vkey as string;
    for (let i = 0; i < 30; i++) {
      const r = await api(s.gateway, 'POST', `/v1/elections/${id}/votes`, s.voterToken(`lv-${i % 24}`), {
        optionId: i % 3 === 0 ? 'a' : 'b',
      });
      expect(r.status).toBe(202);
    }
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    const first = await eventually('official result', () => reconciliationOf(id), 120_000);
    expect(first).toMatchObject({ accepted: 30, counted: 24, rejected: { duplicate: 6, 'after-close': 0 } });
    const before = await eventually('export', () => exportOf(id), 60_000);
    const results = await api<{ version: number; final: boolean; counts: Record<string, number> }>(
      s.gateway,
      'GET',
      `/v1/elections/${id}/results`,
    );
    expect(results.json.final).toBe(true);

    // late: two voters who already voted and three new ones, all after every close marker
    const late = staleVotes(id, ['lv-1', 'lv-2', 'late-1', 'late-2', 'late-3']);
    await log.append(late);

    const after = await eventually(
      'reconciliation accounting for the late votes',
      async () => {
        const r = await reconciliationOf(id);
        return r !== undefined && r.accepted === 35 ? r : undefined;
      },
      60_000,
    );
    expect(after).toMatchObject({ accepted: 35, counted: 24, rejected: { duplicate: 6, 'after-close': 5 }, counts: first.counts });
    expect(Object.values(after.entries ?? {}).reduce((a, b) => a + b, 0)).toBe(35);

    // the official result's bytes and version did not move: no second `final` for SSE watchers
    const again = await api<{ version: number; final: boolean; counts: Record<string, number> }>(
      s.gateway,
      'GET',
      `/v1/elections/${id}/results`,
    );
    expect(again.json).toEqual(results.json);

    // the final checkpoints move forward to cover every leaf, each consistent with the one before
    const extended = await eventually(
      'final checkpoints covering the late entries',
      async () => {
        const e = await exportOf(id);
        return e !== undefined && e.records.filter((r) => r.type === 'leaf').length === 35 + PARTITIONS ? e : undefined;
      },
      60_000,
    );
    const verifier = verifierFromVkey(vkey);
    for (let p = 0; p < PARTITIONS; p++) {
      const old = openCheckpoint(before.finals.get(p) as string, [verifier], `urna/${id}/${p}`);
      const now = openCheckpoint(extended.finals.get(p) as string, [verifier], `urna/${id}/${p}`);
      expect(now.size).toBeGreaterThanOrEqual(old.size);
      if (now.size === old.size) continue;
      const proof = await api<{ proof: string[] }>(
        s.gateway,
        'GET',
        `/v1/elections/${id}/partitions/${p}/consistency?from=${old.size}&to=${now.size}`,
      );
      expect(proof.status).toBe(200);
      verifyConsistency(
        old.size,
        now.size,
        proof.json.proof.map((h) => Buffer.from(h, 'base64')),
        old.root,
        now.root,
      );
    }
    const run = verify(id, vkey);
    expect(run.stdout).toContain('OK');
    expect(run.stdout).toContain('35 votes in the log, 24 counted, 6 duplicates, 5 after the close');
    expect(run.status).toBe(0);
  }, 300_000);

  it('hidden results: a commitment before the reveal, its opening after, checked by urna verify (tampering fails)', async () => {
    const admin = await s.adminToken();
    const id = await createElection(s, { extra: { challenge: 'off', resultsVisibility: 'hidden' } });
    const vkey = (await api<{ keys: Array<{ vkey: string }> }>(s.gateway, 'GET', '/v1/transparency/keys')).json.keys[0]?.vkey as string;
    for (let i = 0; i < 12; i++) {
      const r = await api(s.gateway, 'POST', `/v1/elections/${id}/votes`, s.voterToken(`hv-${i % 10}`), {
        optionId: i % 4 === 0 ? 'a' : 'c',
      });
      expect(r.status).toBe(202);
    }
    const none = await api<{ error: { code: string } }>(s.gateway, 'GET', `/v1/elections/${id}/commitment`);
    expect([none.status, none.json.error.code]).toEqual([404, 'NOT_FOUND']); // no commitment while open
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    await eventually('official result', () => reconciliationOf(id), 120_000);

    const opened = await api<{
      commitment: string;
      algorithm: string;
      revealed: boolean;
      nonce: string;
      result: string;
      reconciliation: string;
    }>(s.gateway, 'GET', `/v1/elections/${id}/commitment`);
    expect(opened.status).toBe(200);
    expect(opened.json).toMatchObject({ electionId: id, algorithm: 'sha256(result || reconciliation || nonce)', revealed: true });
    const { commitment, nonce, result, reconciliation } = opened.json;
    const hash = createHash('sha256').update(result).update(reconciliation).update(Buffer.from(nonce, 'hex')).digest('hex');
    expect(hash).toBe(commitment);
    const results = await api<{ counts: Record<string, number>; total: number; final: boolean }>(
      s.gateway,
      'GET',
      `/v1/elections/${id}/results`,
    );
    expect(results.json.final).toBe(true);
    expect(JSON.parse(result)).toMatchObject({ electionId: id, counts: results.json.counts, total: 10 });
    expect(JSON.parse(reconciliation)).toMatchObject({ accepted: 12, counted: 10 });

    // the export carries the commitment; urna verify opens it, and fails on a tampered one
    const text = await eventually('export', async () => {
      const r = await fetch(`${s.gateway}/v1/elections/${id}/export`);
      return r.status === 200 ? r.text() : (await r.arrayBuffer(), undefined);
    });
    const good = verify(id, vkey);
    expect(good.stdout).toContain('commitment: SHA-256(result ‖ reconciliation ‖ nonce) opens to the published result');
    expect(good.stdout).toContain('OK');
    const dir = mkdtempSync(join(tmpdir(), 'urna-commit-'));
    try {
      const lines = text.trim().split('\n');
      const at = lines.findIndex((l) => (JSON.parse(l) as { type: string }).type === 'commitment');
      expect(at).toBeGreaterThan(0);
      const record = JSON.parse(lines[at] as string) as Record<string, string>;
      const tamper = (name: string, change: Record<string, string>) => {
        const file = join(dir, `${name}.ndjson`);
        writeFileSync(file, [...lines.slice(0, at), JSON.stringify({ ...record, ...change }), ...lines.slice(at + 1)].join('\n') + '\n');
        return verifySource(file, vkey);
      };
      const badNonce = tamper('nonce', { nonce: (nonce.startsWith('0') ? '1' : '0') + nonce.slice(1) });
      expect(badNonce.status).toBe(1);
      expect(badNonce.stdout).toContain('FAIL: commitment mismatch');
      const counts = JSON.parse(result) as { counts: Record<string, number> };
      const otherResult = JSON.stringify({ ...counts, counts: { ...counts.counts, a: (counts.counts.a ?? 0) + 1 } });
      const badResult = tamper('result', { result: otherResult });
      expect(badResult.status).toBe(1);
      expect(badResult.stdout).toContain('FAIL: commitment mismatch');
      // a commitment that opens, to a result other than the published one
      const fakeNonce = '00'.repeat(32);
      const fake = createHash('sha256').update(otherResult).update(reconciliation).update(Buffer.from(fakeNonce, 'hex')).digest('hex');
      const swapped = tamper('swapped', { result: otherResult, nonce: fakeNonce, commitment: fake });
      expect(swapped.status).toBe(1);
      expect(swapped.stdout).toContain('FAIL: the committed result differs from the published official result');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
