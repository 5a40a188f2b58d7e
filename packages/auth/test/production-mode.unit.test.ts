import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '@urna/service-kit';
import { authConfigShape, checkAuthConfig, DEV_ISSUER, generateDevKeys } from '../src/index.ts';

const Auth = z.object(authConfigShape);
const secret = Buffer.alloc(32, 1).toString('base64url');
const check = (env: Record<string, string>) => () => checkAuthConfig(loadConfig(Auth, env));

describe('production mode (URNA_MODE=production)', () => {
  it('makes the dev issuer impossible, naming the key', async () => {
    const keys = await generateDevKeys();
    const idp = {
      URNA_AUTH_ISSUER: 'https://idp.example.org/',
      URNA_AUTH_JWKS_URL: 'https://idp.example.org/jwks',
      URNA_VOTING_TOKEN_SECRET: secret,
    };
    expect(check({ URNA_MODE: 'production', ...idp, URNA_DEV_MODE: '1' })).toThrow(/URNA_DEV_MODE: the dev issuer cannot run/);
    expect(check({ URNA_MODE: 'production', ...idp, URNA_DEV_ISSUER_KEY: JSON.stringify(keys.privateJwk) })).toThrow(/URNA_DEV_ISSUER_KEY/);
    expect(check({ URNA_MODE: 'production', ...idp, URNA_AUTH_ISSUER: DEV_ISSUER })).toThrow(/URNA_AUTH_ISSUER/);
    expect(check({ URNA_MODE: 'production', URNA_AUTH_ISSUER: 'https://idp.example.org/', URNA_VOTING_TOKEN_SECRET: secret })).toThrow(
      /URNA_AUTH_JWKS_URL: required/,
    );
    expect(check({ URNA_MODE: 'production', ...idp })).not.toThrow();
    // the embedded default (development) keeps the dev issuer
    expect(check({ URNA_DEV_MODE: '1', URNA_DEV_ISSUER_KEY: JSON.stringify(keys.privateJwk) })).not.toThrow();
  });
});
