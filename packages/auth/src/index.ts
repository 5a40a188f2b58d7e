export * from './errors.ts';
export * from './principal.ts';
export * from './voting-token.ts';
export * from './verifier.ts';
export * from './dev-issuer.ts';
export * from './config.ts';
