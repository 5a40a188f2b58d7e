import { createRegistry, onShutdown } from '@urna/service-kit';
import { readGatewayConfig } from './config.ts';
import { createGateway } from './gateway.ts';

const config = readGatewayConfig();
const server = createGateway({ upstreams: { ingest: config.URNA_INGEST_URL, results: config.URNA_RESULTS_URL, lifecycle: config.URNA_LIFECYCLE_URL }, registry: createRegistry('gateway'), webRoot: config.URNA_WEB_ROOT });
server.listen(config.URNA_GATEWAY_PORT, config.URNA_HOST);
onShutdown(() => new Promise<void>((resolve) => {
  server.close(() => resolve());
  server.closeAllConnections();
}));
