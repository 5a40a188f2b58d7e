// SSE watchers: WATCHERS virtual users each hold the results stream open and count snapshots.
// k6 has no EventSource; a streaming GET with a long timeout receives the whole stream. It
// mirrors `npm run bench`'s SSE fan-out section (which measures latency; here the thresholds
// are on connection success and snapshots received).
// Run: k6 run -e BASE_URL=http://host:8080 -e WATCHERS=10000 scripts/load/k6/sse-watchers.js
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { BASE, ELECTION } from './lib.js';

const snapshots = new Counter('sse_snapshots');
const WATCHERS = Number(__ENV.WATCHERS || 2000);
const HOLD = __ENV.HOLD || '60s';

export const options = {
  scenarios: {
    watchers: { executor: 'ramping-vus', startVUs: 0, stages: [{ target: WATCHERS, duration: '30s' }, { target: WATCHERS, duration: '1m' }], gracefulRampDown: '0s' },
  },
  thresholds: {
    'checks{check:stream opened}': ['rate>0.999'],
    sse_snapshots: [`count>${WATCHERS}`],
  },
};

export default function () {
  const res = http.get(`${BASE}/v1/elections/${ELECTION}/results/stream`, { timeout: HOLD, headers: { accept: 'text/event-stream' }, tags: { name: 'sse' } });
  // the request ends at the timeout; what arrived until then is the stream
  const body = res.body || '';
  snapshots.add((body.match(/^event: results$/gm) || []).length);
  check(res, { 'stream opened': () => body.includes('event: results') });
}
