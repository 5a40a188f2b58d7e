/**
 * `urna verify` as a user runs it (a child process on an export file): OK with the official
 * counts on a 50,000-vote election with duplicates and votes after the close; and each kind of
 * tampering fails and is named.
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSigner,
  originOf,
  signCheckpoint,
  toNdjsonLine,
  parseCheckpoint,
  type ExportRecord,
  type LeafRecord,
} from '@urna/transparency';
import { syntheticElection, type SyntheticElection } from '../../../packages/transparency/test/synthetic-election.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'urna-verify-'));
let election: SyntheticElection;

async function verify(records: readonly ExportRecord[], ...args: string[]): Promise<{ code: number; out: string }> {
  const file = join(dir, `export-${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(file, records.map(toNdjsonLine).join(''));
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/verify/main.ts', file, ...args], { cwd: root });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

const leafRecords = (records: readonly ExportRecord[], partition: number): LeafRecord[] =>
  records.filter((r): r is LeafRecord => r.type === 'leaf' && r.partition === partition);

beforeAll(async () => {
  election = await syntheticElection({ votes: 50_000, partitions: 8, duplicateRate: 0.1, afterCloseRate: 0.02, seed: 11 });
  expect(election.expected.duplicates).toBeGreaterThan(1000);
  expect(election.expected.afterClose).toBeGreaterThan(500);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('urna verify', { timeout: 240_000 }, () => {
  it('prints OK and the official counts for a valid 50,000-vote export, pinned key or not', async () => {
    const pinned = await verify(election.records, '--key', election.signer.vkey);
    expect(pinned.code, pinned.out).toBe(0);
    expect(pinned.out).toContain('OK');
    expect(pinned.out).toContain('(pinned with --key)');
    const e = election.expected;
    expect(pinned.out).toContain(
      `${e.accepted} votes in the log, ${e.counted} counted, ${e.duplicates} duplicates, ${e.afterClose} after the close`,
    );
    for (const [option, n] of Object.entries(e.counts)) expect(pinned.out).toContain(`${option} ${n}`);
    const unpinned = await verify(election.records);
    expect(unpinned.code, unpinned.out).toBe(0);
    expect(unpinned.out).toContain("taken from the export's own key record");
  });

  it('one leaf changed: fails with the root mismatch of its partition', async () => {
    const records = election.records.map((r) => {
      if (r.type !== 'leaf' || r.partition !== 2 || r.index !== 100 || !r.leaf.includes('\nvote\n')) return r;
      const lines = r.leaf.split('\n');
      lines[7] = lines[7] === 'cats' ? 'dogs' : 'cats';
      return { ...r, leaf: lines.join('\n') };
    });
    const { code, out } = await verify(records, '--key', election.signer.vkey);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL: partition 2: root mismatch/);
  });

  it('one leaf dropped: fails and names the missing index', async () => {
    const records = election.records.filter((r) => !(r.type === 'leaf' && r.partition === 5 && r.index === 1234));
    const { code, out } = await verify(records, '--key', election.signer.vkey);
    expect(code).toBe(1);
    expect(out).toContain('FAIL: partition 5: leaf index 1234 is missing');
  });

  it('one leaf dropped and the rest renumbered: fails on the checkpoint size', async () => {
    const leaves = leafRecords(election.records, 5)
      .filter((r) => r.index !== 1234)
      .map((r, index) => ({ ...r, index }));
    const records = [...election.records.filter((r) => !(r.type === 'leaf' && r.partition === 5)), ...leaves];
    const { code, out } = await verify(records, '--key', election.signer.vkey);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL: partition 5: final checkpoint covers \d+ leaves, the export has \d+/);
  });

  it('a counted vote moved after the close marker: fails and names that leaf', async () => {
    const leaves = leafRecords(election.records, 3);
    const close = leaves.findIndex((r) => r.leaf.includes('\nclose\n'));
    const moved = leaves.find(
      (r) => r.index < close && election.votes.some((v) => v.leaf === r.leaf && v.classification === 'counted'),
    ) as LeafRecord;
    const order = leaves.filter((r) => r !== moved);
    order.splice(close, 0, moved);
    const records = [
      ...election.records.filter((r) => !(r.type === 'leaf' && r.partition === 3)),
      ...order.map((r, index) => ({ ...r, index })),
    ];
    const { code, out } = await verify(records, '--key', election.signer.vkey);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL: partition 3: leaf \d+ is out of log order/);
    expect(out).toContain(moved.leaf.split('\n').join('\n  '));
  });

  it('a checkpoint re-signed by another key: fails with the export key record and with --key', async () => {
    const intruder = generateSigner(election.signer.name);
    const records = election.records.map((r) => {
      if (r.type !== 'checkpoint' || r.partition !== 6) return r;
      const cp = parseCheckpoint(r.note.slice(0, r.note.lastIndexOf('\n\n') + 1));
      return { ...r, note: signCheckpoint(cp, intruder) };
    });
    for (const args of [[], ['--key', election.signer.vkey]]) {
      const { code, out } = await verify(records, ...args);
      expect(code).toBe(1);
      expect(out).toContain('FAIL: partition 6: final checkpoint rejected: no signature by the trusted key');
    }
  });

  it('everything re-signed with a swapped key record passes only unpinned, and says so; --key catches it', async () => {
    const intruder = generateSigner(election.signer.name);
    const records = election.records.map((r): ExportRecord => {
      if (r.type === 'checkpoint') {
        const cp = parseCheckpoint(r.note.slice(0, r.note.lastIndexOf('\n\n') + 1));
        return { ...r, note: signCheckpoint({ ...cp, origin: originOf(election.electionId, r.partition) }, intruder) };
      }
      if (r.type === 'key')
        return { type: 'key', name: intruder.name, publicKey: intruder.publicKey.toString('base64'), vkey: intruder.vkey };
      return r;
    });
    const unpinned = await verify(records);
    expect(unpinned.code).toBe(0);
    expect(unpinned.out).toContain('not that urna signed it');
    const pinned = await verify(records, '--key', election.signer.vkey);
    expect(pinned.code).toBe(1);
    expect(pinned.out).toContain('no signature by the trusted key');
  });

  it('a published result or reconciliation that the log does not support: fails and names the option or figure', async () => {
    const skewed = election.records.map((r) =>
      r.type === 'result' ? { ...r, counts: { ...r.counts, cats: (r.counts.cats ?? 0) + 1 } } : r,
    );
    const a = await verify(skewed, '--key', election.signer.vkey);
    expect(a.code).toBe(1);
    expect(a.out).toMatch(/FAIL: result mismatch for option cats: the log counts \d+, the published result says \d+/);
    const reconciled = election.records.map((r) => (r.type === 'reconciliation' ? { ...r, afterClose: r.afterClose - 1 } : r));
    const b = await verify(reconciled, '--key', election.signer.vkey);
    expect(b.code).toBe(1);
    expect(b.out).toContain('FAIL: reconciliation mismatch: afterClose');
  });

  it("a reconciliation's entries must match each final checkpoint: exactly the partition's votes and its close marker", async () => {
    const leaves = new Map<number, number>();
    for (const r of election.records) if (r.type === 'leaf') leaves.set(r.partition, (leaves.get(r.partition) ?? 0) + 1);
    const withEntries = (skew: number) =>
      election.records.map((r) =>
        r.type === 'reconciliation'
          ? { ...r, entries: Object.fromEntries([...leaves].map(([p, n]) => [String(p), n - 1 + (p === 0 ? skew : 0)])) }
          : r,
      );
    expect((await verify(withEntries(0), '--key', election.signer.vkey)).code).toBe(0);
    const short = await verify(withEntries(-1), '--key', election.signer.vkey);
    expect(short.code).toBe(1);
    expect(short.out).toContain(`FAIL: partition 0: the final checkpoint covers ${leaves.get(0)} leaves, the reconciliation counts`);
  });

  it('records refused for a bad log signature are in accepted but have no leaf: forged is subtracted, and only forged', async () => {
    const withForged = (forged: number | undefined) =>
      election.records.map((r) =>
        r.type === 'reconciliation' ? { ...r, accepted: r.accepted + 3, ...(forged === undefined ? {} : { forged }) } : r,
      );
    expect((await verify(withForged(3), '--key', election.signer.vkey)).code).toBe(0);
    const unexplained = await verify(withForged(undefined), '--key', election.signer.vkey);
    expect(unexplained.code).toBe(1);
    expect(unexplained.out).toContain('FAIL: reconciliation mismatch: accepted');
    expect((await verify(withForged(2), '--key', election.signer.vkey)).code).toBe(1);
  });

  it('reads the export from a URL as well as from a file', async () => {
    const file = join(dir, 'served.ndjson');
    writeFileSync(file, election.records.map(toNdjsonLine).join(''));
    const server = createServer((req, res) => {
      if (req.url !== '/v1/elections/x/export') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const ok = await run(
        process.execPath,
        ['--import', 'tsx', 'scripts/verify/main.ts', `http://127.0.0.1:${port}/v1/elections/x/export`, '--key', election.signer.vkey],
        { cwd: root },
      );
      expect(ok.stdout).toContain('OK');
      const missing = await run(process.execPath, ['--import', 'tsx', 'scripts/verify/main.ts', `http://127.0.0.1:${port}/nope`], {
        cwd: root,
      }).catch((e: { code: number; stdout: string }) => e);
      expect('code' in missing && missing.code).toBe(1);
      expect(missing.stdout).toContain('answered 404');
    } finally {
      server.close();
    }
  });

  it('bad usage exits 2 without verifying', async () => {
    const { code, out } = await verify(election.records, '--key', 'not-a-key');
    expect(code).toBe(2);
    expect(out).toContain('not a verifier key');
  });
});
