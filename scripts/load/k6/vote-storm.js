// Vote storm, open model: the arrival rate ramps to PEAK_RATE votes/s whatever the latency
// (ramping-arrival-rate), 10% of the votes are a voter's second attempt (duplicates), and a
// 503 is retried once after Retry-After, as a client would. Mirrors `npm run bench`'s ingest
// section. Run: k6 run -e BASE_URL=http://host:8080 -e PEAK_RATE=20000 scripts/load/k6/vote-storm.js
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { castVote, OPTIONS, voterToken } from './lib.js';

const retries = new Counter('vote_retries');
const PEAK = Number(__ENV.PEAK_RATE || 5000);

export const options = {
  scenarios: {
    storm: {
      executor: 'ramping-arrival-rate',
      startRate: Math.ceil(PEAK / 10), timeUnit: '1s',
      preAllocatedVUs: Math.ceil(PEAK / 20), maxVUs: PEAK,
      stages: [{ target: PEAK, duration: '30s' }, { target: PEAK, duration: '2m' }, { target: 0, duration: '15s' }],
    },
  },
  thresholds: {
    'http_req_duration{name:vote}': ['p(99)<500', 'p(95)<200'],
    'http_req_failed{name:vote}': ['rate<0.001'],
    checks: ['rate>0.999'],
  },
};

export default function () {
  const n = exec.scenario.iterationInTest;
  // every tenth iteration re-uses an earlier voter: a duplicate that must be accepted and never counted
  const voter = n % 10 === 9 ? n - 9 : n;
  const token = voterToken(voter);
  let res = castVote(token, OPTIONS[n % OPTIONS.length]);
  if (res.status === 503) {
    retries.add(1);
    sleep(Number(res.headers['Retry-After'] || 1));
    res = castVote(token, OPTIONS[n % OPTIONS.length]);
  }
  check(res, { 'vote accepted (202)': (r) => r.status === 202 });
}
