import { z } from 'zod';
import { ConfigError } from '@urna/domain';
import type { JSONWebKeySet, JWK } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER } from './dev-issuer.ts';
import { createTokenVerifier, type TokenVerifier } from './verifier.ts';

const json = <T>(what: string) =>
  z.string().transform((text, ctx): T => {
    try {
      return JSON.parse(text) as T;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be ${what} as JSON` });
      return z.NEVER;
    }
  });

/** Environment keys every service that checks tokens reads. */
export const authConfigShape = {
  /** `production` makes the dev issuer impossible and requires a real identity provider (checkAuthConfig). */
  URNA_MODE: z.enum(['development', 'production']).default('development'),
  /** Expected `iss` and `aud` of identity-provider tokens. */
  URNA_AUTH_ISSUER: z.string().min(1).default(DEV_ISSUER),
  URNA_AUTH_AUDIENCE: z.string().min(1).default(DEV_AUDIENCE),
  /** The IdP's public keys: a JWKS document, or the URL the provider publishes it at. */
  URNA_AUTH_JWKS: json<JSONWebKeySet>('a JWKS document').optional(),
  URNA_AUTH_JWKS_URL: z.string().url().optional(),
  URNA_AUTH_ROLE_CLAIM: z.string().min(1).default('role'),
  /** base64url secret (≥ 32 bytes) of urna's HS256 voting tokens. */
  URNA_VOTING_TOKEN_SECRET: z
    .string()
    .transform((s) => Buffer.from(s, 'base64url'))
    .refine((b) => b.length >= 32, 'must be at least 32 bytes, base64url-encoded')
    .optional(),
  URNA_VOTING_TOKEN_TTL: z.coerce.number().int().min(30).max(86_400).default(900),
  URNA_DEV_MODE: z
    .enum(['1', '0', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  /** Private JWK of the dev issuer (dev mode only). */
  URNA_DEV_ISSUER_KEY: json<JWK>('a private JWK').optional(),
};

export interface AuthConfig {
  URNA_AUTH_ISSUER: string;
  URNA_AUTH_AUDIENCE: string;
  URNA_AUTH_JWKS?: JSONWebKeySet | undefined;
  URNA_AUTH_JWKS_URL?: string | undefined;
  URNA_AUTH_ROLE_CLAIM: string;
  URNA_VOTING_TOKEN_SECRET?: Buffer | undefined;
}

export function verifierFromConfig(config: AuthConfig): TokenVerifier {
  if (config.URNA_AUTH_JWKS === undefined && config.URNA_AUTH_JWKS_URL === undefined && config.URNA_VOTING_TOKEN_SECRET === undefined) {
    throw new Error('invalid configuration:\n  URNA_AUTH_JWKS: set URNA_AUTH_JWKS, URNA_AUTH_JWKS_URL or URNA_VOTING_TOKEN_SECRET');
  }
  return createTokenVerifier({
    issuer: config.URNA_AUTH_ISSUER,
    audience: config.URNA_AUTH_AUDIENCE,
    roleClaim: config.URNA_AUTH_ROLE_CLAIM,
    ...(config.URNA_AUTH_JWKS === undefined ? {} : { jwks: config.URNA_AUTH_JWKS }),
    ...(config.URNA_AUTH_JWKS_URL === undefined ? {} : { jwksUrl: config.URNA_AUTH_JWKS_URL }),
    ...(config.URNA_VOTING_TOKEN_SECRET === undefined ? {} : { votingSecret: config.URNA_VOTING_TOKEN_SECRET }),
  });
}

/**
 * Rules of a production deployment, each naming its key: the dev issuer cannot be on (anyone
 * reaching the origin could mint admin tokens), its key and issuer are not accepted, and
 * voting tokens need their secret.
 */
export function checkAuthConfig(
  config: AuthConfig & { URNA_MODE: 'development' | 'production'; URNA_DEV_MODE: boolean; URNA_DEV_ISSUER_KEY?: unknown },
): void {
  if (config.URNA_MODE !== 'production') return;
  const issues: string[] = [];
  if (config.URNA_DEV_MODE) issues.push('URNA_DEV_MODE: the dev issuer cannot run with URNA_MODE=production');
  if (config.URNA_DEV_ISSUER_KEY !== undefined) issues.push('URNA_DEV_ISSUER_KEY: not allowed with URNA_MODE=production');
  if (config.URNA_AUTH_ISSUER === DEV_ISSUER)
    issues.push(`URNA_AUTH_ISSUER: set your identity provider's issuer (not ${DEV_ISSUER}) with URNA_MODE=production`);
  if (config.URNA_AUTH_JWKS === undefined && config.URNA_AUTH_JWKS_URL === undefined)
    issues.push('URNA_AUTH_JWKS_URL: required with URNA_MODE=production');
  if (config.URNA_VOTING_TOKEN_SECRET === undefined) issues.push('URNA_VOTING_TOKEN_SECRET: required with URNA_MODE=production');
  if (issues.length > 0) throw new ConfigError(issues);
}
