import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, with Node's default metrics labelled by service. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
