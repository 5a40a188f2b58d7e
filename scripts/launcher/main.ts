import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaCluster } from '@urna/embedded/kafka';
import { ensureDemoElection } from './demo.ts';
import { ALERT_RULES, renderPrometheusConfig } from './prometheus.ts';
import { DEFAULT_PORTS, PORT_SETTINGS, PortTakenError, REPO_ROOT, startStack } from './stack.ts';

const dataDir = process.env.URNA_DATA_DIR ?? join(REPO_ROOT, '.urna');
console.log(`urna: starting the embedded stack (data in ${dataDir})`);

// URNA_LOG=kafka with URNA_KAFKA_BROKERS: the services use that cluster (the topic must exist).
// URNA_LOG=kafka alone: a single-node Apache Kafka (KRaft) with its data under <data>/kafka, so
// votes survive a restart; the topic is created on the first start.
let kafkaNode: KafkaCluster | undefined;
const env: Record<string, string> = {};
if (process.env.URNA_LOG === 'kafka' && process.env.URNA_KAFKA_BROKERS === undefined) {
  const started = Date.now();
  // loaded only here: the Kafka runner needs the Kafka client's native addon
  const { KafkaCluster } = await import('@urna/embedded/kafka');
  kafkaNode = await KafkaCluster.start({ dataDir: join(dataDir, 'kafka'), nodes: 1 });
  const topic = process.env.URNA_KAFKA_TOPIC ?? 'urna.votes';
  const partitions = Number(process.env.URNA_LOG_PARTITIONS ?? '16');
  if ((await kafkaNode.leaders(topic).catch(() => [])).length === 0) await kafkaNode.createTopic(topic, partitions);
  Object.assign(env, { URNA_KAFKA_BROKERS: kafkaNode.bootstrapServers, URNA_KAFKA_TOPIC: topic });
  console.log(`urna: single-node Kafka up in ${((Date.now() - started) / 1000).toFixed(1)} s (data in ${join(dataDir, 'kafka')})`);
}
const portOverrides = Object.fromEntries(
  Object.entries(PORT_SETTINGS)
    .filter(([, key]) => process.env[key] !== undefined)
    .map(([name, key]) => [name, Number(process.env[key])]),
);
for (const [name, value] of Object.entries(portOverrides)) {
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    console.error(`urna: ${PORT_SETTINGS[name as keyof typeof DEFAULT_PORTS]}: expected a port number`);
    process.exit(1);
  }
}
const stack = await startStack({ dataDir, ports: 'default', logs: 'console', env, portOverrides, superviseServers: true }).catch(
  async (error: unknown) => {
    await kafkaNode?.stop();
    // a taken port (or a bad edge setting) is one line, not a restart loop and a stack trace
    console.error(
      `urna: ${error instanceof Error && (error instanceof PortTakenError || error.message.startsWith('edge') || error.message.includes('invalid configuration')) ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
// a scrape config for this stack's processes: `prometheus --config.file=<data dir>/prometheus.yml`
writeFileSync(join(dataDir, 'prometheus.yml'), renderPrometheusConfig({ nodes: stack.nodes, ruleFiles: [ALERT_RULES] }));
const kafka = { ...process.env, ...env };
const logLine =
  kafka.URNA_LOG === 'kafka'
    ? `Kafka ${kafka.URNA_KAFKA_BROKERS} topic ${kafka.URNA_KAFKA_TOPIC ?? 'urna.votes'}${kafkaNode ? ' (single local node)' : ''}`
    : `Redis Streams on ${stack.urls.redis}`;
const readModelLine =
  stack.redisCluster !== undefined
    ? `Redis Cluster, local 3 primaries + 3 replicas ${stack.redisCluster.addresses} (data in ${join(dataDir, 'redis-cluster')})`
    : process.env.URNA_REDIS_CLUSTER !== undefined && process.env.URNA_REDIS_CLUSTER.trim() !== ''
      ? 'Redis Cluster at URNA_REDIS_CLUSTER'
      : `the same redis-server`;
// the demo election is created through the dev issuer, which production mode does not have
if (process.env.URNA_MODE !== 'production') await ensureDemoElection(stack.urls.gateway);
const g = stack.urls.gateway;
console.log(`
urna is up.
  voter page       ${g}/
  admin console    ${g}/admin
  API (one origin) ${g}
  demo election    ${g}/v1/elections/demo
  live results     ${g}/v1/elections/demo/results/stream
  processes        ${Object.entries(stack.nodes)
    .map(([service, nodes]) => `${service} ×${nodes.length}`)
    .join(', ')}
  metrics          ${[...stack.nodes.ingest, ...stack.nodes['results-sse']].map((n) => `${n}/metrics`).join('  ')}
                   (each process on its own port; never through the origin; all targets in ${join(dataDir, 'prometheus.yml')})
  redis            ${stack.urls.redis}   DynamoDB Local ${stack.urls.dynamo}
  vote log         ${logLine}
  read model       ${readModelLine}

Try it: open the voter page (its proof-of-work runs in the browser), or follow README's curl
example, which creates an election without proof-of-work.

Ctrl-C stops everything.`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  console.log('\nurna: stopping…');
  stack
    .stop()
    .then(() => kafkaNode?.stop())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
