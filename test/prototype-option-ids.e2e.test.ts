/**
 * Option ids named after Object.prototype members (`__proto__`, `constructor`, `toString`, …)
 * are valid ids: every vote for them is counted exactly, in the live results, the official
 * result, the reconciliation and by `urna verify`. Counts keyed by option id used to be plain
 * objects: `counts['__proto__'] = n` set the prototype (the votes vanished from the live
 * results) and `counts['constructor'] ?? 0` read Object's constructor (the official result
 * published `"function Object() { [native code] }1"`).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createElection, officialResult, startTestStack, type TestStack } from './stack.ts';
import { eventually } from './helpers.ts';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';

const OPTIONS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'a'];
/** Votes per option; `isPrototypeOf` gets none (a missing key must read as 0, not as a function). */
const VOTES: ReadonlyArray<readonly [string, number]> = [
  ['__proto__', 2],
  ['constructor', 1],
  ['toString', 3],
  ['valueOf', 1],
  ['hasOwnProperty', 1],
  ['isPrototypeOf', 0],
  ['a', 1],
];
const TOTAL = VOTES.reduce((sum, [, n]) => sum + n, 0);

/** Own entries, sorted: `toEqual` against an object literal would turn `__proto__` into a prototype. */
const entriesOf = (counts: unknown) =>
  Object.entries(counts as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)) as Array<[string, unknown]>;
const expected = [...VOTES].sort(([a], [b]) => (a < b ? -1 : 1));

// soft assertions: without the fix, every layer's failure is reported, not only the first
describe('option ids named after Object.prototype members', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await startTestStack({ URNA_LOG_PARTITIONS: '4' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('counts them exactly: live, official, reconciliation, verify', async () => {
    const admin = await s.adminToken();
    const id = await createElection(s, { options: OPTIONS, extra: { challenge: 'off' } });
    let user = 0;
    for (const [optionId, n] of VOTES)
      for (let i = 0; i < n; i++) {
        const voter = s.voterToken(`proto-${user++}`);
        expect((await api(s.gateway, 'POST', `/v1/elections/${id}/votes`, voter, { optionId })).status).toBe(202);
      }
    // a second vote of a user who voted for __proto__ is a duplicate, not a count
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/votes`, s.voterToken('proto-0'), { optionId: 'constructor' })).status).toBe(
      202,
    );

    const live = await eventually('live results with every vote', async () => {
      const r = await api<{ counts: Record<string, number>; total: number }>(s.gateway, 'GET', `/v1/elections/${id}/results`);
      return r.json.total === TOTAL ? r.json : undefined;
    });
    expect.soft(entriesOf(live.counts)).toEqual(expected);

    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/close`, admin)).status).toBe(200);
    const official = await officialResult(s, id, 120_000);
    expect.soft(entriesOf(official.counts)).toEqual(expected);
    expect.soft(official.total).toBe(TOTAL);

    const reconciliation = await api<{ counts: unknown; counted: number; accepted: number; liveMatched: boolean }>(
      s.gateway,
      'GET',
      `/v1/elections/${id}/reconciliation`,
    );
    expect(reconciliation.status).toBe(200);
    expect.soft(entriesOf(reconciliation.json.counts)).toEqual(expected);
    expect.soft(reconciliation.json).toMatchObject({ accepted: TOTAL + 1, counted: TOTAL, liveMatched: true });

    const vkey = (await api<{ keys: Array<{ vkey: string }> }>(s.gateway, 'GET', '/v1/transparency/keys')).json.keys[0]?.vkey as string;
    await eventually('export', async () => {
      const r = await fetch(`${s.gateway}/v1/elections/${id}/export`);
      return r.status === 200 ? r.text() : (await r.arrayBuffer(), undefined);
    });
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/verify/main.ts', `${s.gateway}/v1/elections/${id}/export`, '--key', vkey],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect.soft(run.stdout).toContain('OK');
    expect.soft(run.stdout).toContain(`${TOTAL + 1} votes in the log, ${TOTAL} counted, 1 duplicates`);
    expect(run.status).toBe(0);
  }, 300_000);
});
