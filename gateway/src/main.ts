import { z } from 'zod';
import { createRegistry, loadConfig, onShutdown, sharedConfigShape } from '@urna/service-kit';
import { createGateway } from './gateway.ts';

const config = loadConfig(z.object({
  URNA_HOST: sharedConfigShape.URNA_HOST,
  URNA_GATEWAY_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  URNA_INGEST_URL: z.string().url().default('http://127.0.0.1:8081'),
  URNA_RESULTS_URL: z.string().url().default('http://127.0.0.1:8082'),
}));
const server = createGateway({ upstreams: { ingest: config.URNA_INGEST_URL, results: config.URNA_RESULTS_URL }, registry: createRegistry('gateway') });
server.listen(config.URNA_GATEWAY_PORT, config.URNA_HOST);
onShutdown(() => new Promise<void>((resolve) => {
  server.close(() => resolve());
  server.closeAllConnections();
}));
