import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { isValidUserId } from '@urna/domain';
import { AuthErrors } from './errors.ts';
import { isRole, type Principal, type Role } from './principal.ts';
import { verifyVotingToken } from './voting-token.ts';

export interface VerifierOptions {
  /** Identity-provider keys: a JWKS document (embedded default) or its URL (any OIDC provider). */
  readonly jwks?: JSONWebKeySet;
  readonly jwksUrl?: string;
  readonly issuer: string;
  readonly audience: string;
  /** Claim carrying the role; absent means voter. */
  readonly roleClaim?: string;
  /** Secret of urna's voting tokens; when absent only IdP tokens are accepted. */
  readonly votingSecret?: Buffer;
}

export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Principal>;
  /** The identity provider's token only (never a voting token): what may be exchanged. */
  verifyIdentity(authorization: string | undefined): Promise<Principal>;
  require(authorization: string | undefined, role: Role): Promise<Principal>;
}

/** Asymmetric algorithms only on the IdP path: no HS256/alg-confusion with the voting secret. */
const IDP_ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'PS256'];

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  let keys: JWTVerifyGetKey | undefined;
  if (options.jwks !== undefined) keys = createLocalJWKSet(options.jwks);
  else if (options.jwksUrl !== undefined) keys = createRemoteJWKSet(new URL(options.jwksUrl));
  const roleClaim = options.roleClaim ?? 'role';

  const bearer = (authorization: string | undefined): string => {
    if (authorization === undefined || authorization === '') throw AuthErrors.missing();
    if (!authorization.startsWith('Bearer ')) throw AuthErrors.invalid('expected a Bearer token');
    return authorization.slice(7).trim();
  };

  async function verify(authorization: string | undefined): Promise<Principal> {
    const token = bearer(authorization);
    if (options.votingSecret !== undefined) {
      const principal = verifyVotingToken(token, options.votingSecret);
      if (principal !== undefined) return principal;
    }
    return verifyIdp(token);
  }

  async function verifyIdp(token: string): Promise<Principal> {
    if (keys === undefined) throw AuthErrors.invalid('unknown token type');
    try {
      // a token without `exp` would be valid forever: refused
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: IDP_ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
      });
      const role = payload[roleClaim] ?? 'voter';
      if (typeof payload.sub !== 'string' || !isValidUserId(payload.sub)) throw AuthErrors.invalid('bad subject');
      if (!isRole(role)) throw AuthErrors.invalid('bad role');
      return { userId: payload.sub, role };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw AuthErrors.invalid('expired', error);
      if (error instanceof joseErrors.JOSEError) throw AuthErrors.invalid(error.code, error);
      throw error;
    }
  }

  return {
    verify,
    verifyIdentity: async (authorization) => verifyIdp(bearer(authorization)),
    async require(authorization, role) {
      const principal = await verify(authorization);
      if (principal.role !== role) throw AuthErrors.forbidden(role);
      return principal;
    },
  };
}
