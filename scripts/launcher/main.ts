import { join } from 'node:path';
import { ensureDemoElection } from './demo.ts';
import { REPO_ROOT, startStack } from './stack.ts';

const dataDir = process.env.URNA_DATA_DIR ?? join(REPO_ROOT, '.urna');
console.log(`urna: starting the embedded stack (data in ${dataDir})`);
const stack = await startStack({ dataDir, ports: 'default', logs: 'console' });
await ensureDemoElection(stack.urls.gateway);
const g = stack.urls.gateway;
console.log(`
urna is up.
  API (one origin) ${g}
  demo election    ${g}/v1/elections/demo
  live results     ${g}/v1/elections/demo/results/stream
  metrics          ${stack.urls.ingest}/metrics  ${stack.urls.results}/metrics  http://127.0.0.1:8083/metrics  http://127.0.0.1:8084/metrics
  redis            ${stack.urls.redis}   DynamoDB Local ${stack.urls.dynamo}

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
  stack.stop().then(() => process.exit(0), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
