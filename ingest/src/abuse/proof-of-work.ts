import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { Counter, Histogram, type Registry } from 'prom-client';
import { createChallenge, extractParams } from 'altcha-lib/v1';
import type { Challenge } from 'altcha-lib/v1/types';
import { DomainErrors, type Election } from '@urna/domain';

export interface ProofOfWorkSettings {
  /** HMAC key that signs challenges (shared by every ingest process). */
  readonly hmacKey: string;
  /** How long a challenge may be solved and used. */
  readonly ttlSeconds: number;
  /** Mode and cost of elections created without them. */
  readonly defaultMode: 'off' | 'pow';
  readonly defaultCost: number;
  readonly keyPrefix?: string;
}

/** A vote's proof-of-work travels base64(JSON) in this header (ALTCHA's payload format). */
export const ALTCHA_HEADER = 'x-altcha';
const MAX_PAYLOAD = 2_048;

export interface Payload {
  algorithm: 'SHA-256';
  challenge: string;
  number: number;
  salt: string;
  signature: string;
}

/** The user as bound into a challenge: a digest, so the salt carries no user id in clear. */
const userTag = (userId: string) => createHash('sha256').update(userId).digest('base64url').slice(0, 22);

/**
 * ALTCHA proof-of-work per vote (altcha-lib, SHA-256). A challenge is bound to one user and one
 * election and expires after `ttlSeconds`; its signature is spent in Redis (SET NX with the
 * challenge's remaining life), so a solution counts once — altcha-lib leaves replay to us.
 */
export class ProofOfWork {
  private readonly verifySeconds: Histogram;
  private readonly refused: Counter<'code'>;

  constructor(
    private readonly redis: Redis | Cluster,
    readonly settings: ProofOfWorkSettings,
    registry: Registry,
  ) {
    this.verifySeconds = new Histogram({
      name: 'urna_pow_verify_seconds',
      help: 'Time to verify one proof-of-work (hot path)',
      buckets: [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'urna_pow_refused_total',
      help: 'Votes refused for their proof-of-work, by code',
      labelNames: ['code'],
      registers: [registry],
    });
  }

  /** Whether an election's votes need a solved challenge: its own setting, else the deployment's default. */
  required(election: Election): boolean {
    return (election.challenge ?? this.settings.defaultMode) === 'pow';
  }

  async issue(election: Election, userId: string): Promise<Challenge> {
    return createChallenge({
      hmacKey: this.settings.hmacKey,
      algorithm: 'SHA-256',
      maxNumber: election.challengeCost ?? this.settings.defaultCost,
      expires: new Date(Date.now() + this.settings.ttlSeconds * 1000),
      params: { e: election.id, u: userTag(userId) },
    });
  }

  /** Throws CHALLENGE_REQUIRED / CHALLENGE_INVALID / CHALLENGE_REPLAYED; resolves once spent. */
  async spend(header: string | string[] | undefined, electionId: string, userId: string): Promise<void> {
    try {
      await this.check(header, electionId, userId);
    } catch (error) {
      this.refused.inc({ code: (error as { code?: string }).code ?? 'UNKNOWN' });
      throw error;
    }
  }

  private async check(header: string | string[] | undefined, electionId: string, userId: string): Promise<void> {
    if (header === undefined || header === '') throw DomainErrors.challengeRequired();
    if (typeof header !== 'string' || header.length > MAX_PAYLOAD) throw DomainErrors.challengeInvalid('malformed X-Altcha header');
    const payload = decode(header);
    if (payload === undefined) throw DomainErrors.challengeInvalid('malformed X-Altcha header');
    const params = extractParams(payload);
    const started = performance.now();
    const valid = verifyAltcha(payload, params, this.settings.hmacKey);
    this.verifySeconds.observe((performance.now() - started) / 1000);
    if (!valid) throw DomainErrors.challengeInvalid('wrong solution, foreign signature or expired');
    if (params.e !== electionId || params.u !== userTag(userId)) throw DomainErrors.challengeInvalid('issued for another user or election');
    const remainingMs = Number(params.expires) * 1000 - Date.now();
    const key = `${this.settings.keyPrefix ?? 'urna:pow'}:used:${payload.signature}`;
    const fresh = await this.redis.set(key, '1', 'PX', Math.max(1_000, Math.ceil(remainingMs) + 1_000), 'NX');
    if (fresh === null) throw DomainErrors.challengeReplayed();
  }
}

/**
 * altcha-lib's verifySolution, synchronously on node:crypto: the same checks (not expired,
 * SHA-256(salt + number) = challenge, HMAC-SHA-256(challenge, key) = signature), compared in
 * constant time. Measured: 158 µs CPU per verify through altcha-lib (WebCrypto, async) against
 * a few µs here (scripts/load/pow-verify.ts); on the hot path that decides. A test pins it to
 * altcha-lib's verdicts.
 */
export function verifyAltcha(payload: Payload, params: Readonly<Record<string, string>>, hmacKey: string, now = Date.now()): boolean {
  const expires = Number(params.expires);
  if (!Number.isFinite(expires) || expires * 1000 < now) return false;
  const challenge = createHash('sha256')
    .update(payload.salt + String(payload.number))
    .digest();
  const signature = createHmac('sha256', hmacKey).update(challenge.toString('hex')).digest();
  return (
    timingSafeEqual(challenge, Buffer.from(payload.challenge, 'hex')) && timingSafeEqual(signature, Buffer.from(payload.signature, 'hex'))
  );
}

/** The ALTCHA payload, strictly: base64 of a JSON object with exactly the expected field types. */
export function decode(header: string): Payload | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(header)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Record<string, unknown>;
  if (p.algorithm !== 'SHA-256' || typeof p.challenge !== 'string' || typeof p.salt !== 'string' || typeof p.signature !== 'string')
    return undefined;
  if (typeof p.number !== 'number' || !Number.isSafeInteger(p.number) || p.number < 0) return undefined;
  if (!/^[0-9a-f]{64}$/.test(p.challenge) || !/^[0-9a-f]{64}$/.test(p.signature) || p.salt.length > 512) return undefined;
  return { algorithm: 'SHA-256', challenge: p.challenge, number: p.number, salt: p.salt, signature: p.signature };
}
