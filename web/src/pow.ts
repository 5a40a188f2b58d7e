/**
 * Proof-of-work for elections that require it (`required` in the challenge answer). The page
 * fetches a challenge bound to the voter and the election and solves it in a Web Worker while
 * the voter reads the ballot, so the vote button rarely waits. A solution is single use: after
 * each vote attempt the next one is prepared.
 */
import { api } from './api.ts';

interface ChallengeAnswer {
  readonly algorithm: string;
  readonly challenge: string;
  readonly maxnumber: number;
  readonly salt: string;
  readonly signature: string;
  readonly required: boolean;
}

/** The X-Altcha header value, or undefined when the election needs none. */
async function solve(electionId: string, token: string): Promise<string | undefined> {
  const c = await api<ChallengeAnswer>('GET', `/v1/elections/${encodeURIComponent(electionId)}/challenge`, { token });
  if (!c.required) return undefined;
  const worker = new Worker(new URL('./pow-worker.ts', import.meta.url), { type: 'module' });
  try {
    const result = await new Promise<{ number?: number; error?: string }>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<{ number?: number; error?: string }>) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage({ challenge: c.challenge, salt: c.salt, algorithm: c.algorithm, max: c.maxnumber });
    });
    if (result.number === undefined) throw new Error(result.error ?? 'proof-of-work failed');
    return btoa(
      JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: result.number, salt: c.salt, signature: c.signature }),
    );
  } finally {
    worker.terminate();
  }
}

export class ProofOfWork {
  private next: Promise<string | undefined> | undefined;

  constructor(
    private readonly electionId: string,
    private readonly token: () => Promise<string>,
  ) {}

  /** Starts solving in the background (idempotent until the proof is taken). */
  prepare(): void {
    if (this.next !== undefined) return;
    const pending = this.token().then((token) => solve(this.electionId, token));
    pending.catch(() => {
      if (this.next === pending) this.next = undefined;
    });
    this.next = pending;
  }

  /** The prepared proof (waiting for it if needed); the next one starts right away. */
  async take(): Promise<string | undefined> {
    this.prepare();
    const proof = this.next as Promise<string | undefined>;
    this.next = undefined;
    const value = await proof;
    if (value !== undefined) this.prepare();
    return value;
  }
}
