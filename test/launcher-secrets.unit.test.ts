/**
 * The embedded default's keys: generated once into secrets.json, kept across restarts, and a
 * file written before the transparency log gains its log key and pseudonym root once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signerFromSkey } from '@urna/transparency';
import { loadOrCreateSecrets } from '../scripts/launcher/secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'urna-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded secrets', () => {
  it('generates the transparency keys once and keeps them', async () => {
    const path = join(dir, 'fresh.json');
    const first = await loadOrCreateSecrets(path);
    expect(signerFromSkey(first.transparency.skey).vkey).toBe(first.transparency.vkey);
    expect(Buffer.from(first.transparency.pseudonymSecret, 'base64url')).toHaveLength(32);
    expect(await loadOrCreateSecrets(path)).toEqual(first);
  });

  it('adds them to a file from before the transparency log, keeping its other keys', async () => {
    const path = join(dir, 'old.json');
    const fresh = await loadOrCreateSecrets(join(dir, 'source.json'));
    const { transparency: _dropped, ...old } = fresh;
    writeFileSync(path, JSON.stringify(old));
    const upgraded = await loadOrCreateSecrets(path);
    expect(upgraded.votingSecret).toBe(old.votingSecret);
    expect(upgraded.dev).toEqual(old.dev);
    expect(upgraded.transparency.skey).toMatch(/^PRIVATE\+KEY\+urna\.localhost\/log\+/);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(upgraded);
  });
});
