import { Pool } from 'undici';
import { mintVotingToken } from '@urna/auth';
import { DEFINITE_FAILURES } from './checker.ts';
import type { HistoryRecorder } from './history.ts';
import type { Prng } from './prng.ts';

export interface PlannedElection {
  readonly id: string;
  readonly options: readonly string[];
  /** Milliseconds after the load starts. */
  readonly opensAt: number;
  readonly closesAt: number;
}

/**
 * Several elections, each opened and closed by its schedule (`opensAt`/`closesAt`, run by the
 * lifecycle service) while the load runs; all close by 85% of the window, so the recount of
 * each runs under faults too.
 */
export function planElections(rng: Prng, runId: string, windowMs: number): PlannedElection[] {
  const count = Math.min(30, Math.max(3, Math.round(windowMs / 60_000)));
  return Array.from({ length: count }, (_, i) => {
    const opensAt = Math.round(5_000 + rng.next() * windowMs * 0.45);
    const latestClose = windowMs * 0.85;
    const closesAt = Math.round(Math.min(latestClose, opensAt + windowMs * (0.15 + rng.next() * 0.25)));
    const options = Array.from({ length: rng.int(2, 4) }, (_, o) => `o${o}`);
    return { id: `${runId}-e${i}`, options, opensAt, closesAt };
  });
}

export interface LoadOptions {
  readonly gateway: string;
  readonly votingSecret: Buffer;
  readonly history: HistoryRecorder;
  readonly rng: Prng;
  readonly elections: readonly PlannedElection[];
  /** Load window start (epoch ms), the elections' times are relative to it. */
  readonly startedAt: number;
  readonly windowMs: number;
  /** Votes per second (open loop: arrivals do not wait for answers). */
  readonly rate: number;
  /** Share of fresh votes sent by a user who already voted (a duplicate). */
  readonly duplicateShare?: number;
  readonly maxInFlight?: number;
  readonly requestTimeoutMs?: number;
  /** Connections to the edge: a request beyond them waits in the client's queue (its timeout runs). */
  readonly connections?: number;
}

export interface LoadStats {
  attempts: number;
  skippedInFlight: number;
  inFlight: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Open-loop vote load: arrivals at Poisson times whatever the answers, each a vote by a new
 * user or (duplicateShare) by one who already voted. A vote with an unknown outcome (503,
 * 502/504 from the edge, a timeout, a dropped connection) is retried by the same voter with the
 * same option after a seeded back-off, up to 4 times, as a voter pressing "vote" again would.
 */
export async function runVoteLoad(options: LoadOptions): Promise<LoadStats> {
  const { history, rng } = options;
  const stats: LoadStats = { attempts: 0, skippedInFlight: 0, inFlight: 0 };
  const voters = new Map<string, string[]>();
  const nextUser = new Map<string, number>();
  const maxInFlight = options.maxInFlight ?? 1_500;
  const timeoutMs = options.requestTimeoutMs ?? 5_000;
  let processId = 0;
  const pending = new Set<Promise<void>>();
  // A bounded pool: unbounded connects piled up in SYN-SENT behind a stopped edge and then
  // exhausted its worker_connections (found by the first 30-minute run)
  const pool = new Pool(options.gateway, { connections: options.connections ?? 256, pipelining: 1, connectTimeout: timeoutMs });

  const attempt = async (electionId: string, userId: string, optionId: string, retriesLeft: number, retryRng: Prng): Promise<void> => {
    const process = `v${processId++}`;
    stats.attempts++;
    stats.inFlight++;
    history.record({ type: 'invoke', f: 'vote', process, electionId, userId, optionId });
    let unknown = false;
    try {
      const token = mintVotingToken({ userId, role: 'voter' }, options.votingSecret, 900);
      const response = await pool.request({
        method: 'POST',
        path: `/v1/elections/${electionId}/votes`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ optionId }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      const status = response.statusCode;
      if (status === 202) {
        const { voteId } = JSON.parse(text) as { voteId: string };
        history.record({ type: 'ok', f: 'vote', process, electionId, userId, optionId, voteId, status: 202 });
      } else if (DEFINITE_FAILURES.has(status)) {
        const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        history.record({ type: 'fail', f: 'vote', process, electionId, userId, optionId, status, error: code ?? '' });
      } else {
        unknown = true;
        history.record({
          type: 'info',
          f: 'vote',
          process,
          electionId,
          userId,
          optionId,
          status,
          error: text.slice(0, 80),
        });
      }
    } catch (error) {
      unknown = true;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      history.record({ type: 'info', f: 'vote', process, electionId, userId, optionId, status: 0, error: message.slice(0, 80) });
    } finally {
      stats.inFlight--;
    }
    if (unknown && retriesLeft > 0) {
      await sleep(retryRng.int(200, 2_000));
      await attempt(electionId, userId, optionId, retriesLeft - 1, retryRng);
    }
  };

  const end = options.startedAt + options.windowMs;
  let next = Date.now();
  while (Date.now() < end) {
    const now = Date.now();
    while (next <= now) {
      next += rng.exponential(1_000 / options.rate);
      const t = now - options.startedAt;
      // votes go to elections about to open, open, or just closed: the races at both ends are the point
      const live = options.elections.filter((e) => t >= e.opensAt - 2_000 && t <= e.closesAt + 3_000);
      if (live.length === 0) continue;
      const election = rng.pick(live);
      const known = voters.get(election.id) ?? [];
      let userId: string;
      if (known.length > 0 && rng.chance(options.duplicateShare ?? 0.15)) userId = rng.pick(known);
      else {
        const n = nextUser.get(election.id) ?? 0;
        nextUser.set(election.id, n + 1);
        userId = `${election.id}-u${n}`;
        known.push(userId);
        voters.set(election.id, known);
      }
      const optionId = rng.pick(election.options);
      const retryRng = rng.fork(userId);
      if (stats.inFlight >= maxInFlight) {
        stats.skippedInFlight++;
        continue;
      }
      const p = attempt(election.id, userId, optionId, 4, retryRng);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await sleep(10);
  }
  await Promise.all(pending);
  await pool.close();
  return stats;
}

/**
 * An SSE watcher of one election from before its open until after its close: every `results`
 * and `final` event is recorded (total, version); a dropped stream is reopened with
 * Last-Event-ID after a seeded back-off, as the voter page does.
 */
export async function watchResults(options: {
  gateway: string;
  electionId: string;
  process: string;
  until: number;
  history: HistoryRecorder;
  rng: Prng;
}): Promise<void> {
  let lastId: string | undefined;
  while (Date.now() < options.until) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, options.until - Date.now()));
    try {
      const response = await fetch(`${options.gateway}/v1/elections/${options.electionId}/results/stream`, {
        headers: { accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'last-event-id': lastId }) },
        signal: abort.signal,
      });
      if (response.status === 200 && response.body !== null) {
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) lastId = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data === '') continue;
            const snapshot = JSON.parse(data) as { total?: number; version?: number };
            options.history.record({
              type: 'ok',
              f: 'sse',
              process: options.process,
              electionId: options.electionId,
              event,
              ...(snapshot.total === undefined ? {} : { total: snapshot.total }),
              ...(snapshot.version === undefined ? {} : { version: snapshot.version }),
            });
          }
        }
      } else await response.body?.cancel();
    } catch {
      // dropped (a fault, or the end of the watch): reconnect below
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() < options.until) await sleep(options.rng.int(300, 2_000));
  }
}
