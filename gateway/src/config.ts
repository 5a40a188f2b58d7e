import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';

export const GatewayConfig = z.object({
  URNA_HOST: sharedConfigShape.URNA_HOST,
  URNA_GATEWAY_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  URNA_INGEST_URL: z.string().url().default('http://127.0.0.1:8081'),
  URNA_RESULTS_URL: z.string().url().default('http://127.0.0.1:8082'),
  /** The lifecycle service (recount/): elections admin, audit, jobs, admin session, /admin/queues. */
  URNA_LIFECYCLE_URL: z.string().url().default('http://127.0.0.1:8085'),
  /** Built web pages; `npm start` and `npm test` build them (vite) before starting. */
  URNA_WEB_ROOT: z.string().min(1).default(fileURLToPath(new URL('../../web/dist', import.meta.url))),
});
export const readGatewayConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(GatewayConfig, env);
