/**
 * "Verify my vote": the browser checks, with WebCrypto only, that the voter's vote is a leaf of
 * the public log (RFC 9162 inclusion proof, SHA-256) under a checkpoint signed by urna's
 * published key (C2SP signed note, Ed25519). docs/transparency.md is the specification; this
 * file shares no code with the services, so a bug there is not repeated here.
 */
import { api, ApiError } from './api.ts';
import { h } from './dom.ts';

interface Proof {
  readonly electionId: string;
  readonly partition: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leaf: string;
  readonly inclusion: readonly string[];
  readonly checkpoint: string;
  readonly close?: { readonly leafIndex: number; readonly leaf: string; readonly inclusion: readonly string[] };
}

export interface VerifyOutcome {
  readonly ok: boolean;
  /** One line per check, in plain words. */
  readonly steps: ReadonlyArray<{ readonly ok: boolean; readonly text: string }>;
  readonly pseudonym?: string;
  readonly afterClose?: boolean;
}

const bytes = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);
const fromBase64 = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array<ArrayBuffer>> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}
const leafHash = (leaf: string) => sha256(Uint8Array.of(0), bytes(leaf));
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or undefined for a malformed proof. */
async function rootFromInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | undefined> {
  if (index < 0 || index >= size || proof.some((p) => p.length !== 32)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else r = await nodeHash(r, p);
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 ? r : undefined;
}

/** Checks the signed note against the verifier key `<name>+<id hex>+<base64(0x01 ‖ key)>`; returns its text lines. */
async function openCheckpoint(note: string, vkey: string): Promise<string[] | undefined> {
  // the name has no '+'; the base64 key may
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  const split = note.indexOf('\n\n');
  if (first < 0 || second < 0 || split < 0) return undefined;
  const [name, idHex, keyText] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  const text = note.slice(0, split + 1);
  const typed = fromBase64(keyText);
  if (typed.length !== 33 || typed[0] !== 1) return undefined;
  const key = await crypto.subtle.importKey('raw', typed.slice(1), { name: 'Ed25519' }, false, ['verify']);
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (m === null || m[1] !== name) continue;
    const sig = fromBase64(m[2] as string);
    const id = Array.from(sig.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    if (sig.length !== 68 || id !== idHex) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.slice(4), bytes(text))) return text.slice(0, -1).split('\n');
  }
  return undefined;
}

/** Fetches the vote's proof and urna's key, and checks everything a voter can check alone. */
export async function verifyVote(electionId: string, voteId: string, optionId: string): Promise<VerifyOutcome> {
  const steps: Array<{ ok: boolean; text: string }> = [];
  const done = (extra: Partial<VerifyOutcome> = {}): VerifyOutcome => ({ ok: steps.every((s) => s.ok), steps, ...extra });
  const [proof, keys] = await Promise.all([
    api<Proof>('GET', `/v1/elections/${encodeURIComponent(electionId)}/proofs/${encodeURIComponent(voteId)}`),
    api<{ keys: Array<{ vkey: string }> }>('GET', '/v1/transparency/keys'),
  ]);
  const lines = proof.leaf.split('\n');
  const leafOk =
    lines.length === 9 &&
    lines[0] === 'urna-leaf-v1' &&
    lines[1] === electionId &&
    lines[4] === 'vote' &&
    lines[5] === voteId &&
    lines[7] === optionId;
  steps.push({
    ok: leafOk,
    text: leafOk ? 'The public log holds your vote, with the option you chose.' : 'The log entry is not your vote as you cast it.',
  });
  const root = await rootFromInclusion(proof.leafIndex, proof.treeSize, await leafHash(proof.leaf), proof.inclusion.map(fromBase64));
  const vkey = keys.keys[0]?.vkey;
  const checkpoint = vkey === undefined ? undefined : await openCheckpoint(proof.checkpoint, vkey);
  steps.push({
    ok: checkpoint !== undefined,
    text:
      checkpoint !== undefined
        ? "The log's checkpoint is signed by urna's published key."
        : "The checkpoint's signature does not check out.",
  });
  const rootOk =
    root !== undefined &&
    checkpoint !== undefined &&
    checkpoint[0] === `urna/${electionId}/${proof.partition}` &&
    checkpoint[1] === String(proof.treeSize) &&
    equal(fromBase64(checkpoint[2] as string), root);
  steps.push({
    ok: rootOk,
    text: rootOk
      ? `Your vote is entry ${proof.leafIndex + 1} of ${proof.treeSize} under that checkpoint (the proof adds up to its root).`
      : 'The inclusion proof does not lead to the signed checkpoint.',
  });
  let afterClose: boolean | undefined;
  if (proof.close !== undefined && checkpoint !== undefined) {
    const closeLines = proof.close.leaf.split('\n');
    const closeRoot = await rootFromInclusion(
      proof.close.leafIndex,
      proof.treeSize,
      await leafHash(proof.close.leaf),
      proof.close.inclusion.map(fromBase64),
    );
    const closeOk = closeLines[4] === 'close' && closeRoot !== undefined && equal(fromBase64(checkpoint[2] as string), closeRoot);
    afterClose = proof.close.leafIndex < proof.leafIndex;
    steps.push({
      ok: closeOk,
      text: closeOk
        ? afterClose
          ? 'Your vote arrived after the close of voting: it is in the log but is never counted.'
          : 'Your vote arrived before the close of voting.'
        : 'The close marker in the proof does not check out.',
    });
  }
  return done({ pseudonym: lines[6], ...(afterClose === undefined ? {} : { afterClose }) });
}

/** The panel shown under a receipt: each check, the verdict, and what it does and does not prove. */
export function verifyPanel(electionId: string, voteId: string, optionId: string, statusText: string): HTMLElement {
  const panel = h('div', { class: 'verify', 'data-testid': 'verify-panel', role: 'status' }, 'Checking your vote in the public log…');
  verifyVote(electionId, voteId, optionId)
    .then((outcome) => {
      panel.replaceChildren(
        h(
          'p',
          { class: outcome.ok ? 'verify-ok' : 'error', 'data-testid': 'verify-verdict', 'data-ok': String(outcome.ok) },
          outcome.ok ? 'Verified by your browser.' : 'Verification FAILED: do not trust this proof.',
        ),
        h('ul', {}, ...outcome.steps.map((s) => h('li', { class: s.ok ? '' : 'error' }, `${s.ok ? '✓' : '✗'} ${s.text}`))),
        h('p', { hidden: !outcome.ok }, `urna's count says: ${statusText}.`),
        h('p', { class: 'muted small' }, 'Your public pseudonym: ', h('code', {}, outcome.pseudonym ?? '?')),
        h(
          'p',
          { class: 'muted small' },
          'What this proves: your vote, as you cast it, is in the log urna published and signed, and urna cannot remove or change it later without the change showing. ' +
            'What it does not prove: that your earlier or later votes were classified right (anyone can check that with the export and urna verify), or who else voted. ' +
            'This is a public poll: anyone with your receipt can see how you voted.',
        ),
      );
    })
    .catch((e: unknown) => {
      panel.replaceChildren(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? e.message : 'Could not check the proof.'));
    });
  return panel;
}
