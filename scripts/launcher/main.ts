import { join } from 'node:path';
import type { KafkaCluster } from '@urna/embedded/kafka';
import { ensureDemoElection } from './demo.ts';
import { REPO_ROOT, startStack } from './stack.ts';

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
const stack = await startStack({ dataDir, ports: 'default', logs: 'console', env });
const kafka = { ...process.env, ...env };
const logLine = kafka.URNA_LOG === 'kafka'
  ? `Kafka ${kafka.URNA_KAFKA_BROKERS} topic ${kafka.URNA_KAFKA_TOPIC ?? 'urna.votes'}${kafkaNode ? ' (single local node)' : ''}`
  : `Redis Streams on ${stack.urls.redis}`;
await ensureDemoElection(stack.urls.gateway);
const g = stack.urls.gateway;
console.log(`
urna is up.
  voter page       ${g}/
  admin console    ${g}/admin
  API (one origin) ${g}
  demo election    ${g}/v1/elections/demo
  live results     ${g}/v1/elections/demo/results/stream
  metrics          ${stack.urls.ingest}/metrics  ${stack.urls.results}/metrics  http://127.0.0.1:8083/metrics  http://127.0.0.1:8084/metrics
  redis            ${stack.urls.redis}   DynamoDB Local ${stack.urls.dynamo}
  vote log         ${logLine}

Try it:
  TOKEN=$(curl -s -XPOST ${g}/v1/dev/token -H 'content-type: application/json' -d '{"userId":"alice","role":"voter"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  curl -N ${g}/v1/elections/demo/results/stream &
  curl -s -XPOST ${g}/v1/elections/demo/votes -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"optionId":"cats"}'

Ctrl-C stops everything.`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  console.log('\nurna: stopping…');
  stack.stop().then(() => kafkaNode?.stop()).then(() => process.exit(0), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
