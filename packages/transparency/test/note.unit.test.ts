/**
 * Ed25519 keys and C2SP signed notes against Go's golang.org/x/mod/sumdb/note test vectors
 * (vectors/README.md), and checkpoints as C2SP tlog-checkpoint describes them.
 */
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, originOf, parseCheckpoint, signCheckpoint } from '../src/checkpoint.ts';
import { generateSigner, keyIdOf, signerFromSkey, verifierFromVkey } from '../src/keys.ts';
import { openNote, signNote } from '../src/note.ts';
import go from './vectors/go-sumdb-note.json' with { type: 'json' };

const fails = (fn: () => unknown): boolean => {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
};

describe('keys (sumdb/note TestNewVerifier, TestNewSigner)', () => {
  it('parses the Go verifier and signer keys and derives the same vkey and key ID', () => {
    const signer = signerFromSkey(go.peterSkey);
    const verifier = verifierFromVkey(go.peterVkey);
    expect(signer.vkey).toBe(go.peterVkey);
    expect(signer.skey).toBe(go.peterSkey);
    expect(verifier.keyId).toBe(0xc74f20a3);
    expect(keyIdOf('PeterNeumann', verifier.publicKey)).toBe(0xc74f20a3);
    expect(verifierFromVkey(go.enochVkey).keyId).toBe(0xaf0cfe78);
  });

  it('rejects every substring and every single-byte mangling of the vkey, and the Go bad keys', () => {
    const b = Buffer.from(go.peterVkey);
    const accepted: string[] = [];
    for (let i = 0; i <= b.length; i += 1) {
      for (let j = i + 1; j <= b.length; j += 1) {
        if (i === 0 && j === b.length) continue;
        const k = b.subarray(i, j).toString();
        if (!fails(() => verifierFromVkey(k))) accepted.push(k);
      }
    }
    for (let i = 0; i < b.length; i += 1) {
      const m = Buffer.from(b);
      m[i] = (m[i] as number) + 1;
      if (!fails(() => verifierFromVkey(m.toString()))) accepted.push(m.toString());
    }
    for (const k of go.badVkeys) if (!fails(() => verifierFromVkey(k))) accepted.push(k);
    expect(accepted).toEqual([]);
  });

  it('rejects every single-byte mangling of the skey', () => {
    const b = Buffer.from(go.peterSkey);
    const accepted: string[] = [];
    for (let i = 0; i < b.length; i += 1) {
      const m = Buffer.from(b);
      m[i] = (m[i] as number) + 1;
      if (!fails(() => signerFromSkey(m.toString()))) accepted.push(m.toString());
    }
    expect(accepted).toEqual([]);
  });

  it('a generated key round-trips through skey and vkey', () => {
    const signer = generateSigner('urna.example/log');
    const again = signerFromSkey(signer.skey);
    const verifier = verifierFromVkey(signer.vkey);
    const sig = again.sign(Buffer.from('hi'));
    expect(verifier.verify(Buffer.from('hi'), sig)).toBe(true);
    expect(verifier.verify(Buffer.from('ho'), sig)).toBe(false);
  });
});

describe('signed notes (sumdb/note TestSign, TestOpen)', () => {
  const peter = (): ReturnType<typeof verifierFromVkey> => verifierFromVkey(go.peterVkey);
  const enoch = (): ReturnType<typeof verifierFromVkey> => verifierFromVkey(go.enochVkey);

  it('signing reproduces the published note byte for byte (Ed25519 is deterministic)', () => {
    expect(signNote(go.text, [signerFromSkey(go.peterSkey)])).toBe(`${go.text}\n${go.peterSig}`);
  });

  it('opens with one known key and ignores the unknown one; opens with both', () => {
    const note = `${go.text}\n${go.peterSig}${go.enochSig}`;
    const one = openNote(note, [peter()]);
    expect(one.text).toBe(go.text);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unknown.map((s) => [s.name, s.keyId])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    expect(openNote(note, [peter(), enoch()]).verified).toHaveLength(2);
    expect(fails(() => openNote(note, []))).toBe(true);
  });

  it('rejects a bad signature by a known key, tampered text, too many signatures and malformed notes', () => {
    const sig = go.peterSig;
    const bad = [
      `${go.text}\n${sig.slice(0, 60)}ABCD${sig.slice(60)}`,
      `${go.text.replace('cryptography', 'cryptographY')}\n${sig}`,
      `${go.text}\n${sig.repeat(101)}`,
      go.text,
      `${go.text}\n`,
      `${go.text}\n${sig.slice(0, -1)}`,
      `\u0001${go.text}\n${sig}`,
      `${go.text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${go.text}\n${sig}Unexpected line.\n`,
    ];
    for (const note of bad)
      expect(
        fails(() => openNote(note, [peter()])),
        JSON.stringify(note.slice(-40)),
      ).toBe(true);
    // A signature under the same name but another key ID is someone else's: ignored, so unverified.
    expect(fails(() => openNote(`${go.text}\n${sig.replace('x08g', 'xxxx')}`, [peter()]))).toBe(true);
  });

  it('the C2SP signed-note example parses (its key is not published, so it stays unverified)', () => {
    const note =
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n' +
      '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';
    const other = generateSigner('quasimodo.example/salvatore');
    // Same name, different key ID: ignored; the text is split at the LAST blank line.
    expect(() => openNote(note, [other])).toThrow(/no verifiable signatures/);
    const resigned = signNote('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n', [other]);
    expect(openNote(resigned, [other]).text).toBe(
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n',
    );
  });
});

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  it('parses the spec example text', () => {
    const cp = parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(Buffer.from(cp.root).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
  });

  it('formats urna checkpoints exactly and opens only with the log key and the right origin', () => {
    const signer = generateSigner('urna.example/log');
    const root = Buffer.alloc(32, 7);
    const cp = { origin: originOf('e1', 3), size: 42, root };
    expect(formatCheckpoint(cp)).toBe(`urna/e1/3\n42\n${root.toString('base64')}\n`);
    const note = signCheckpoint(cp, signer);
    expect(note).toMatch(/^urna\/e1\/3\n42\n[A-Za-z0-9+/]{43}=\n\n— urna\.example\/log [A-Za-z0-9+/]+=*\n$/);
    expect(openCheckpoint(note, [verifierFromVkey(signer.vkey)], 'urna/e1/3').size).toBe(42);
    expect(fails(() => openCheckpoint(note, [verifierFromVkey(signer.vkey)], 'urna/e1/4'))).toBe(true);
    expect(fails(() => openCheckpoint(note, [generateSigner('urna.example/log')]))).toBe(true);
    expect(fails(() => openCheckpoint(note.replace('\n42\n', '\n43\n'), [signer]))).toBe(true);
  });

  it('rejects non-canonical sizes and roots', () => {
    const r = Buffer.alloc(32).toString('base64');
    for (const text of [`o\n042\n${r}\n`, `o\n-1\n${r}\n`, `o\n1\n${r}`, `o\n1\nAAAA\n`, `o\n1\n${r}\n\n`, `\n1\n${r}\n`]) {
      expect(
        fails(() => parseCheckpoint(text)),
        JSON.stringify(text),
      ).toBe(true);
    }
  });
});
