/**
 * Operations as operators expect (issue 15): Debian's prometheus runs against a stack with the
 * shipped alert rules (scrape config rendered with the stack's ports, 1 s intervals, `for:`
 * shortened), `promtool` accepts both, every query of the shipped Grafana dashboard returns data
 * after a small storm, and the worker-down alert fires when a worker is stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@urna/embedded';
import { alertRulesWithFor, dashboardQueries, renderPrometheusConfig } from '../scripts/launcher/prometheus.ts';
import { createElection, startTestStack, type TestStack } from './stack.ts';
import { eventually } from './helpers.ts';
import { SseClient } from './sse-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'urna-prometheus-'));
let s: TestStack;
let prometheus: ChildProcess | undefined;
let api = '';

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}
async function query(expr: string): Promise<Sample[]> {
  const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

beforeAll(async () => {
  s = await startTestStack();
  const rules = join(dir, 'alerts.yml');
  // `for:` shortened from the shipped 1m so the stopped worker's alert fires within the test; 5 s,
  // not less, so one or two scrapes timing out on a loaded 2-core machine are not a "down" worker
  writeFileSync(rules, alertRulesWithFor('5s'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, renderPrometheusConfig({ nodes: s.stack.nodes, ruleFiles: [rules], intervalSeconds: 1 }));
  for (const args of [
    ['check', 'config', config],
    ['check', 'rules', rules],
  ]) {
    const check = spawnSync('promtool', args, { encoding: 'utf8' });
    expect(check.status, `promtool ${args.join(' ')}:\n${check.stdout}${check.stderr}`).toBe(0);
  }
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await eventually('prometheus ready', async () => ((await fetch(`${api}/-/ready`)).ok ? true : undefined), 30_000);
});
afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus with the shipped rules against a running stack', () => {
  it('scrapes every process; after a storm every dashboard query returns data; no alert fires on a healthy stack', async () => {
    const id = await createElection(s);
    const sse = new SseClient(`${s.gateway}/v1/elections/${id}/results/stream`);
    const post = async (electionId: string, userId: string, optionId: string) => {
      const response = await fetch(`${s.gateway}/v1/elections/${electionId}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.voterToken(userId)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ optionId }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    // 600 votes from 500 users (100 duplicates), and refusals of two kinds
    const votes = Array.from({ length: 600 }, (_, i) => ({ userId: `ops-user-${i % 500}`, optionId: ['a', 'b', 'c'][i % 3]! }));
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < votes.length) {
          const v = votes[next++]!;
          statuses.push(await post(id, v.userId, v.optionId));
        }
      }),
    );
    expect(statuses.filter((st) => st !== 202)).toEqual([]);
    for (let i = 0; i < 10; i++) expect(await post(id, `ops-bad-${i}`, 'no-such-option')).toBe(400);

    // every process of the stack is a target, and up
    const up = await eventually('every target scraped', async () => {
      const samples = await query('up');
      return samples.length === Object.values(s.stack.nodes).flat().length && samples.every((x) => x.value[1] === '1')
        ? samples
        : undefined;
    });
    expect(new Set(up.map((x) => x.metric.job))).toEqual(new Set(Object.keys(s.stack.nodes)));
    await eventually('the storm scraped', async () => {
      const [total] = await query('sum(urna_votes_accepted_total)');
      return total?.value[1] === '600' ? true : undefined;
    });

    // the dashboard's rates look at the last minute: a trickle of votes (new voters, the watched
    // election, so SSE updates go on too) keeps the storm going while the queries are checked
    let trickled = 0;
    let trickling = true;
    const trickle = (async () => {
      for (let i = 0; trickling; i++) {
        if ((await post(id, `ops-trickle-${i}`, 'a')) === 202) trickled++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      for (const { panel, expr } of dashboardQueries()) {
        const samples = await eventually(`data for "${panel}": ${expr}`, async () => {
          const result = await query(expr);
          return result.length > 0 && result.every((x) => Number.isFinite(Number(x.value[1]))) ? result : undefined;
        });
        expect(samples.length, expr).toBeGreaterThan(0);
      }
    } finally {
      trickling = false;
      await trickle;
    }
    // the figures say what happened (each trickled vote is a new voter's: counted)
    await eventually('the trickle scraped', async () => {
      const [counted] = await query('sum(urna_live_votes_total{outcome="counted"})');
      return Number(counted?.value[1]) === 500 + trickled ? true : undefined;
    });
    expect(Number((await query('sum(urna_live_votes_total{outcome="duplicate"})'))[0]?.value[1])).toBe(100);
    expect(Number((await query('sum(urna_votes_refused_total{code="UNKNOWN_OPTION"})'))[0]?.value[1])).toBe(10);
    expect(Number((await query('sum(urna_sse_clients)'))[0]?.value[1])).toBe(1);
    sse.close();

    // firing ones (a pending alert has not fired: one missed scrape makes it pending)
    const alerts = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
      data: { alerts: Array<{ state: string; labels: Record<string, string> }> };
    };
    expect(alerts.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels)).toEqual([]);
  }, 150_000);

  it('fires UrnaWorkerDown for the stopped worker', async () => {
    const store = s.stack.services.get('tally-store')!;
    await store.pause();
    const firing = await eventually(
      'UrnaWorkerDown firing',
      async () => {
        const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
          data: { alerts: Array<{ state: string; labels: Record<string, string> }> };
        };
        return body.data.alerts.find((a) => a.labels.alertname === 'UrnaWorkerDown' && a.state === 'firing');
      },
      30_000,
    );
    expect(firing.labels).toMatchObject({
      job: 'tally-store',
      severity: 'critical',
      instance: new URL(s.stack.nodes['tally-store'][0]!).host,
    });
  }, 60_000);
});
