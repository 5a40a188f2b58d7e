// Entry of @urna/gateway for scripts and tests (the process itself starts at main.ts).
export { createGateway, type GatewayOptions } from './gateway.ts';
export { routeOf, type Upstream } from './routes.ts';
export { GatewayConfig, readGatewayConfig } from './config.ts';
