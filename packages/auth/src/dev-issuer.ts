import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JSONWebKeySet } from 'jose';
import type { Principal } from './principal.ts';

/** Key material of the embedded default's stand-in identity provider. */
export interface DevKeys {
  readonly privateJwk: JWK;
  readonly jwks: JSONWebKeySet;
}

export const DEV_ISSUER = 'urna-dev-issuer';
export const DEV_AUDIENCE = 'urna';

export async function generateDevKeys(): Promise<DevKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { privateJwk, jwks: { keys: [publicJwk] } };
}

/**
 * A built-in identity provider for the embedded default only: signs IdP-style EdDSA tokens
 * for any user and role. Never enabled unless dev mode is on.
 */
export class DevIssuer {
  private constructor(
    private readonly key: Awaited<ReturnType<typeof importJWK>>,
    private readonly kid: string | undefined,
  ) {}

  static async fromJwk(privateJwk: JWK): Promise<DevIssuer> {
    return new DevIssuer(await importJWK(privateJwk, 'EdDSA'), privateJwk.kid);
  }

  async issue(principal: Principal, ttlSeconds = 3_600): Promise<string> {
    return new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: 'EdDSA', ...(this.kid === undefined ? {} : { kid: this.kid }) })
      .setSubject(principal.userId)
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }
}
