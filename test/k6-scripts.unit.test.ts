import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';

/*
 * The k6 binary cannot run here. What is checked: every script parses as an ES module
 * (`node --check`), and each one keeps the shape of the scenario it mirrors in `npm run bench`.
 */
const DIR = join(REPO_ROOT, 'scripts', 'load', 'k6');
const source = (name: string) => readFileSync(join(DIR, name), 'utf8');

describe('k6 scripts', () => {
  it.each(readdirSync(DIR).filter((f) => f.endsWith('.js')))('%s parses', (file) => {
    expect(() => execFileSync(process.execPath, ['--check', join(DIR, file)], { stdio: 'pipe' })).not.toThrow();
  });

  it('model the bench scenarios: an open-model vote storm with duplicates and retries, SSE watchers, a TV night', () => {
    const storm = source('vote-storm.js');
    expect(storm).toContain("executor: 'ramping-arrival-rate'");
    expect(storm).toMatch(/n % 10 === 9/); // 10% duplicates
    expect(storm).toContain('res.status === 503'); // retried after Retry-After
    expect(storm).toMatch(/'http_req_duration\{name:vote\}': \['p\(99\)<\d+'/);
    expect(storm).toMatch(/'http_req_failed\{name:vote\}': \['rate</);
    expect(source('sse-watchers.js')).toContain('/results/stream');
    const night = source('tv-night.js');
    expect(night).toContain('watchers:');
    expect(night).toContain("executor: 'ramping-arrival-rate', exec: 'vote', startTime: OPEN_AT");
    expect(source('lib.js')).toContain('TOKENS_FILE');
  });
});
