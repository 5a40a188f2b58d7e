// "TV night": many more watchers than voters. Watchers connect first; when voting opens (at
// OPEN_AT), the vote rate bursts to PEAK_RATE, then settles. Run against a stack whose
// ELECTION is open: k6 run -e BASE_URL=http://host:8080 -e WATCHERS=20000 -e PEAK_RATE=10000 scripts/load/k6/tv-night.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { BASE, castVote, ELECTION, OPTIONS, voterToken } from './lib.js';

const WATCHERS = Number(__ENV.WATCHERS || 5000);
const PEAK = Number(__ENV.PEAK_RATE || 3000);
const OPEN_AT = __ENV.OPEN_AT || '45s';

export const options = {
  scenarios: {
    watchers: { executor: 'ramping-vus', exec: 'watch', startVUs: 0, stages: [{ target: WATCHERS, duration: '40s' }, { target: WATCHERS, duration: '3m' }], gracefulRampDown: '0s' },
    burst: {
      executor: 'ramping-arrival-rate', exec: 'vote', startTime: OPEN_AT, startRate: 0, timeUnit: '1s',
      preAllocatedVUs: Math.ceil(PEAK / 10), maxVUs: PEAK,
      stages: [{ target: PEAK, duration: '10s' }, { target: PEAK, duration: '30s' }, { target: Math.ceil(PEAK / 10), duration: '1m' }],
    },
  },
  thresholds: {
    'http_req_duration{name:vote}': ['p(99)<1000'],
    'http_req_failed{name:vote}': ['rate<0.001'],
  },
};

export function watch() {
  const res = http.get(`${BASE}/v1/elections/${ELECTION}/results/stream`, { timeout: '60s', tags: { name: 'sse' } });
  check(res, { 'stream opened': (r) => (r.body || '').includes('event: results') });
}

export function vote() {
  const n = exec.scenario.iterationInTest;
  check(castVote(voterToken(n), OPTIONS[n % OPTIONS.length]), { 'vote accepted (202)': (r) => r.status === 202 });
}
