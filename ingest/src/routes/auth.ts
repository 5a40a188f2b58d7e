import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { UserId } from '@urna/domain';
import { mintVotingToken } from '@urna/auth';
import { parseBody } from '@urna/service-kit';
import type { IngestDeps } from '../deps.ts';

const DevTokenBody = z.strictObject({ userId: UserId, role: z.enum(['voter', 'admin']).default('voter') });

export const authRoutes =
  (deps: IngestDeps): FastifyPluginAsync =>
  async (app) => {
    /**
     * How a browser signs in: `dev` = the built-in issuer (type a name); `oidc` = the deployment's
     * OpenID Connect provider, whose ID token is then exchanged at /v1/auth/voting-token.
     */
    app.get('/v1/auth/config', async () => ({
      mode: deps.devIssuer === undefined ? 'oidc' : 'dev',
      votingTokens: deps.votingTokens !== undefined,
    }));

    if (deps.devIssuer !== undefined) {
      const issuer = deps.devIssuer;
      /** Dev mode only: a stand-in identity provider. */
      app.post('/v1/dev/token', async (request) => {
        const body = parseBody(DevTokenBody, request.body);
        return { token: await issuer.issue({ userId: body.userId, role: body.role }) };
      });
    }

    if (deps.votingTokens !== undefined) {
      const { secret, ttlSeconds } = deps.votingTokens;
      /**
       * Exchanges an identity-provider token (asymmetric, checked once against the JWKS) for a
       * short-lived urna voting token that the vote path verifies with one HMAC.
       */
      app.post('/v1/auth/voting-token', async (request) => {
        // an IdP token only: a voting token exchanged for a fresh one would never expire
        const principal = await deps.verifier.verifyIdentity(request.headers.authorization);
        return { token: mintVotingToken(principal, secret, ttlSeconds), tokenType: 'Bearer', expiresIn: ttlSeconds };
      });
    }
  };
