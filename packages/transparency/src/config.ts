/**
 * Configuration keys of urna's transparency log, shared by the services that sign (ingest's
 * receipts, the transparency projection's checkpoints) and the one that serves (results-sse).
 * `@urna/transparency/config`, so the core package stays free of zod.
 */
import { z } from 'zod';

export const transparencySecretsShape = {
  /** The log's Ed25519 signer key, C2SP form `PRIVATE+KEY+<name>+<key id>+<base64>` (docs/transparency.md §4). */
  URNA_TRANSPARENCY_KEY: z
    .string()
    .regex(/^PRIVATE\+KEY\+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/, 'a C2SP signer key PRIVATE+KEY+<name>+<id>+<base64>')
    .optional(),
  /** Root of every election's pseudonym and salt secrets: base64url, at least 32 bytes. */
  URNA_PSEUDONYM_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43,}$/, 'at least 32 bytes, base64url')
    .optional(),
};

export const transparencyPublicShape = {
  /** The log's verifier key `<name>+<key id>+<base64>`, served at GET /v1/transparency/keys. */
  URNA_TRANSPARENCY_VKEY: z
    .string()
    .regex(/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/, 'a C2SP verifier key <name>+<id>+<base64>')
    .optional(),
};
