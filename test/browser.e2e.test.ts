import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ResultsSnapshot } from '@urna/tally';
import { eventually, randomName } from './helpers.ts';
import { delay } from '@urna/domain';
import { SseClient } from './sse-client.ts';
import { api, startTestStack, type TestStack, officialResult } from './stack.ts';
import { launchChromium } from './chromium.ts';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';
import { solvedProof } from './pow.ts';
import { explainLiveDiff } from './live-diff.ts';
import { createDynamoClient, tableNames, VoteStore } from '@urna/store';

/*
 * The voter page and the admin console in Debian's Chromium (playwright-core, never a
 * downloaded browser), against the whole stack started as `npm start` starts it. Every request
 * a page makes is recorded: all must go to the stack's own origin (no fonts, no CDNs).
 * Screenshots at 360 px and 1280 px go to .urna/artifacts/screenshots/.
 */
const SHOTS = join(REPO_ROOT, '.urna', 'artifacts', 'screenshots');
let s: TestStack;
let browser: Browser;
const foreign: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // as `npm start` runs it: elections created without a setting require proof-of-work (at a
  // tenth of the default cost, so the journey stays quick on a busy shared machine)
  [s, browser] = await Promise.all([
    // every test client is 127.0.0.1: the journey's 409s after its close would spend the
    // address's failure budget (then 429); that budget is tested in test/abuse.e2e.test.ts
    startTestStack({ URNA_CHALLENGE_DEFAULT: 'pow', URNA_CHALLENGE_COST: '5000', URNA_RL_IP_FAILURES: '1000000' }),
    launchChromium(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

async function context(width = 1280): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width, height: width < 500 ? 780 : 900 }, baseURL: s.gateway });
  ctx.on('request', (request) => {
    if (!request.url().startsWith(s.gateway) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  return ctx;
}

const shot = async (page: Page, name: string, width: number) => {
  await page.setViewportSize({ width, height: width < 500 ? 780 : 900 });
  await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
};

const countOf = (page: Page, optionId: string) => page.locator(`[data-option="${optionId}"] .bar-num`);

describe('voter page and admin console, in Chromium', () => {
  it('admin creates and opens an election; a voter votes, sees the receipt and "counted"; a watcher sees the bars move; a second vote never counts; closing shows to everyone', async () => {
    const electionId = randomName('e2e');

    // the admin creates and opens the election in the console
    const admin = await (await context()).newPage();
    await admin.goto('/admin');
    await admin.getByLabel('Admin name').fill('ada');
    await admin.getByRole('button', { name: 'Sign in as admin' }).click();
    await admin.getByLabel('Title').fill('Best pet (browser test)');
    await admin.getByLabel('Id (letters, digits, _ and -)').fill(electionId);
    await admin.getByLabel('Options, one per line (at least two)').fill('Cats\nDogs\nParrots');
    await admin.getByRole('button', { name: 'Create election' }).click();
    const row = admin.locator(`tr[data-election="${electionId}"]`);
    await expect.poll(() => row.locator('.badge').textContent()).toBe('draft');
    await row.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => row.locator('.badge').textContent()).toBe('open');
    await row.getByRole('button', { name: 'Best pet (browser test)' }).click();

    // a watcher (signed out) has the results open before anyone votes
    const watcher = await (await context(360)).newPage();
    await watcher.goto(`/?election=${electionId}`);
    await expect.poll(() => watcher.locator('.live').textContent()).toBe('Live');
    expect(await watcher.locator('.bar-num').allTextContents()).toEqual(['0 · 0%', '0 · 0%', '0 · 0%']);
    await watcher.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    // voter A signs in, votes, sees the receipt, then "counted"
    const voterContext = await context();
    const voter = await voterContext.newPage();
    const proofs: Array<string | undefined> = [];
    voter.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/votes')) proofs.push(request.headers()['x-altcha']);
    });
    await voter.goto(`/?election=${electionId}`);
    await voter.getByLabel('Your name').fill('voter-a');
    await voter.getByRole('button', { name: 'Sign in' }).click();
    await voter.getByLabel('Dogs').check();
    await shot(voter, 'voter-ballot', 360);
    await shot(voter, 'voter-ballot', 1280);
    await voter.getByRole('button', { name: 'Cast my vote' }).click();
    const receipt = voter.getByTestId('receipt').first();
    await expect.poll(() => receipt.textContent()).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => voter.locator('.receipt').first().getAttribute('data-status'), { timeout: 10_000 }).toBe('counted');
    const voteId = await receipt.textContent();
    // the page solved the election's proof-of-work in a worker and sent it with the vote
    expect(proofs).toHaveLength(1);
    expect(proofs[0]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await shot(voter, 'voter-voted-pow', 1280);

    // the watcher's bars changed without a reload
    await expect.poll(() => countOf(watcher, 'dogs').textContent(), { timeout: 10_000 }).toBe('1 · 100.0%');
    expect(await watcher.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect.poll(() => admin.getByTestId('total').textContent()).toBe('1 vote counted');
    await expect.poll(() => admin.getByTestId('lag-live').textContent()).toBe('0 records behind');
    await shot(voter, 'voter-voted', 1280);
    await shot(voter, 'voter-voted', 360);
    await shot(watcher, 'voter-watching', 360);
    await shot(admin, 'admin', 1280);
    await shot(admin, 'admin', 360);

    // reloading shows the vote, not the ballot
    await voter.reload();
    await expect.poll(() => voter.getByRole('heading', { name: 'Your vote' }).count()).toBe(1);
    expect(await voter.getByRole('radio').count()).toBe(0);
    expect(await voter.getByTestId('receipt').first().textContent()).toBe(voteId);

    // a second vote, sent straight to the API with A's own token: without a proof-of-work it is
    // refused (403 CHALLENGE_REQUIRED); with one, accepted into the log and never counted
    const voterToken = await voter.evaluate(() => {
      const storage = (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage;
      const session = JSON.parse(storage.getItem('urna.session.voter') ?? '{}') as { votingToken?: string; idToken: string };
      return session.votingToken ?? session.idToken;
    });
    const direct = (headers: Record<string, string>) =>
      fetch(`${s.gateway}/v1/elections/${electionId}/votes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${voterToken}`, ...headers },
        body: JSON.stringify({ optionId: 'cats' }),
      });
    const bot = await direct({});
    expect(bot.status).toBe(403);
    expect(((await bot.json()) as { error: { code: string } }).error.code).toBe('CHALLENGE_REQUIRED');
    expect((await direct({ 'x-altcha': await solvedProof(s.gateway, electionId, voterToken) })).status).toBe(202);
    await voter.reload();
    await expect
      .poll(async () => (await voter.locator('.receipt').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).join(','), {
        timeout: 10_000,
      })
      .toBe('counted,rejected');
    expect(await voter.locator('.receipt.rejected .chip').textContent()).toBe('Not counted — you had already voted');
    expect(await countOf(watcher, 'cats').textContent()).toBe('0 · 0.0%');
    expect(await countOf(watcher, 'dogs').textContent()).toBe('1 · 100.0%');

    // closing shows "closed" to the voter and the watcher, without reloading
    await row.getByRole('button', { name: 'Close' }).click();
    for (const page of [voter, watcher]) {
      await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toBe('Closed');
      expect(await page.getByRole('status').filter({ hasText: 'This election is closed' }).count()).toBe(1);
    }
    await shot(watcher, 'voter-closed', 360);
    await shot(watcher, 'voter-closed', 1280);

    // a voter who signs in after the close gets no ballot
    const late = await (await context(360)).newPage();
    await late.goto(`/?election=${electionId}`);
    await late.getByLabel('Your name').fill('voter-late');
    await late.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => late.locator('#app').textContent()).toContain('Voting has closed');
    expect(await late.getByRole('radio').count()).toBe(0);

    expect(foreign).toEqual([]);
  }, 120_000);

  it('shows API refusals in plain words and keeps the ballot, so a retry is possible', async () => {
    const electionId = randomName('e2e-err');
    const token = await s.adminToken();
    const create = await fetch(`${s.gateway}/v1/elections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: electionId,
        title: 'Refusals',
        options: [
          { id: 'a', label: 'Alpha' },
          { id: 'b', label: 'Beta' },
        ],
      }),
    });
    expect(create.status).toBe(201);
    await fetch(`${s.gateway}/v1/elections/${electionId}/open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const page = await (await context(360)).newPage();
    await page.goto(`/?election=${electionId}`);
    await page.getByLabel('Your name').fill('voter-err');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Alpha').check();

    // the ingest answers 503 (as when the log is down): plain words, the ballot stays, the button says "Try again"
    await page.route('**/votes', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        headers: { 'retry-after': '1' },
        body: JSON.stringify({ error: { code: 'LOG_UNAVAILABLE', message: 'the vote log is unavailable; retry shortly' } }),
      }),
    );
    await page.getByRole('button', { name: 'Cast my vote' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'safe to try again' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Try again' }).isEnabled()).toBe(true);

    // 429 from a rate limiter in front
    await page.unroute('**/votes');
    await page.route('**/votes', (route) =>
      route.fulfill({
        status: 429,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } }),
      }),
    );
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Too many attempts' }).count()).toBe(1);

    // the retry goes through: one vote, counted
    await page.unroute('**/votes');
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => page.locator('.receipt').first().getAttribute('data-status'), { timeout: 10_000 }).toBe('counted');

    // a real 409: the election closes while this voter's page cannot hear it (stream blocked)
    const other = await (await context(360)).newPage();
    await other.route('**/results/stream', (route) => route.abort());
    await other.goto(`/?election=${electionId}`);
    await other.getByLabel('Your name').fill('voter-slow');
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByLabel('Beta').check();
    await fetch(`${s.gateway}/v1/elections/${electionId}/close`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await other.getByRole('button', { name: 'Cast my vote' }).click();
    await expect
      .poll(() => other.getByRole('alert').filter({ hasText: 'Voting is not open for this election right now.' }).count())
      .toBe(1);
    expect(await other.getByTestId('status').textContent()).toBe('Closed');
    expect(await other.getByRole('radio').count()).toBe(0);
    await shot(page, 'voter-counted-after-retry', 360);
    expect(foreign).toEqual([]);
  }, 120_000);

  it('resumes the live results after the stream drops (results-sse SIGKILLed and restarted), without a reload', async () => {
    const electionId = randomName('e2e-drop');
    const token = await s.adminToken();
    await fetch(`${s.gateway}/v1/elections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: electionId,
        title: 'Drop',
        options: [
          { id: 'a', label: 'Alpha' },
          { id: 'b', label: 'Beta' },
        ],
        challenge: 'off',
      }),
    });
    await fetch(`${s.gateway}/v1/elections/${electionId}/open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const page = await (await context(360)).newPage();
    await page.goto(`/?election=${electionId}`);
    await expect.poll(() => page.locator('.live').textContent()).toBe('Live');

    // the first reconnect gets the gateway's 503 (as while results-sse is still down), after
    // which EventSource gives up for good: the page must open a new stream itself
    let refused = 0;
    await page.route('**/results/stream', (route) => {
      if (refused++ > 0) return route.continue();
      return route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'results is unavailable' } }),
      });
    });
    await s.stack.services.get('results-sse')!.kill9();
    await expect.poll(() => page.locator('.live').textContent()).toBe('Reconnecting…');
    const vote = await fetch(`${s.gateway}/v1/elections/${electionId}/votes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.voterToken('voter-during-drop')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ optionId: 'b' }),
    });
    expect(vote.status).toBe(202);
    await expect.poll(() => countOf(page, 'b').textContent(), { timeout: 20_000 }).toBe('1 · 100.0%');
    expect(await page.locator('.live').textContent()).toBe('Live');
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(foreign).toEqual([]);
  }, 60_000);
});

describe('hidden results, the job dashboard and the scheduled close, in Chromium', () => {
  const createElection = async (body: Record<string, unknown>) => {
    const token = await s.adminToken();
    const created = await api(s.gateway, 'POST', '/v1/elections', token, body);
    expect(created.status).toBe(201);
    return token;
  };

  it('hidden results: no per-option count in the results JSON, in any SSE event or on the voter page until the official result; then all three show it', async () => {
    const electionId = randomName('e2e-hidden');
    const token = await createElection({
      id: electionId,
      title: 'Hidden',
      options: [
        { id: 'a', label: 'Alpha' },
        { id: 'b', label: 'Beta' },
      ],
      challenge: 'off',
      resultsVisibility: 'hidden',
    });
    expect((await api(s.gateway, 'POST', `/v1/elections/${electionId}/open`, token)).status).toBe(200);
    const sse = new SseClient(`${s.gateway}/v1/elections/${electionId}/results/stream`);

    // the page's own stream, recorded as it receives it
    const pageContext = await context(360);
    await pageContext.addInitScript(() => {
      const seen: string[] = [];
      (globalThis as unknown as { seenEvents: string[] }).seenEvents = seen;
      const Original = globalThis.EventSource;
      globalThis.EventSource = class extends Original {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          for (const name of ['results', 'final', 'message'])
            this.addEventListener(name, (event) => seen.push(`${name} ${(event as unknown as { data: string }).data}`));
        }
      };
    });
    const page = await pageContext.newPage();
    await page.goto(`/?election=${electionId}`);
    await expect.poll(() => page.locator('.live').textContent()).toBe('Live');

    for (let i = 0; i < 10; i++) {
      const vote = await api(s.gateway, 'POST', `/v1/elections/${electionId}/votes`, s.voterToken(`hidden-${i}`), {
        optionId: i < 7 ? 'a' : 'b',
      });
      expect(vote.status).toBe(202);
    }
    // admins see the live counts; voters and anonymous readers cannot ask for them
    const adminResults = await eventually('live counts', async () => {
      const r = await api<ResultsSnapshot>(s.gateway, 'GET', `/v1/admin/elections/${electionId}/results`, token);
      return r.json.total === 10 ? r : undefined;
    });
    expect(adminResults.json.counts).toEqual({ a: 7, b: 3 });
    expect((await api(s.gateway, 'GET', `/v1/admin/elections/${electionId}/results`)).status).toBe(401);
    expect((await api(s.gateway, 'GET', `/v1/admin/elections/${electionId}/results`, s.voterToken('nosy'))).status).toBe(403);

    // the public JSON, the stream and the page: the total, no per-option count
    const hiddenJson = await api<ResultsSnapshot>(s.gateway, 'GET', `/v1/elections/${electionId}/results`);
    expect(hiddenJson.json).toMatchObject({ counts: {}, total: 10, final: false, visibility: 'hidden' });
    await expect.poll(() => page.getByTestId('total').textContent(), { timeout: 10_000 }).toBe('10 votes counted');
    expect(await page.locator('.bar-num').allTextContents()).toEqual(['hidden', 'hidden']);
    expect(await page.getByTestId('results-note').textContent()).toContain('hidden until the official recount');
    await shot(page, 'voter-hidden', 360);
    // the console shows the admin the live counts the public cannot see
    const admin = await (await context()).newPage();
    await admin.goto('/admin');
    await admin.getByLabel('Admin name').fill('ada');
    await admin.getByRole('button', { name: 'Sign in as admin' }).click();
    await admin.locator(`tr[data-election="${electionId}"]`).getByRole('button', { name: 'Hidden' }).click();
    await expect
      .poll(() => admin.getByTestId('admin-counts').textContent(), { timeout: 10_000 })
      .toBe('Live counts (admins only, hidden from the public): Alpha 7 · Beta 3');
    expect(await admin.locator('.bar-num').allTextContents()).toEqual(['hidden', 'hidden']);
    await eventually('stream saw the 10 votes', async () => (sse.latest<ResultsSnapshot>()?.total === 10 ? true : undefined));

    expect((await api(s.gateway, 'POST', `/v1/elections/${electionId}/close`, token)).status).toBe(200);
    const official = await officialResult(s, electionId, 60_000);
    expect(official).toMatchObject({ counts: { a: 7, b: 3 }, total: 10, final: true });
    // the open page shows it without a reload: `event: final`
    await expect.poll(() => countOf(page, 'a').textContent(), { timeout: 10_000 }).toBe('7 · 70.0%');
    expect(await countOf(page, 'b').textContent()).toBe('3 · 30.0%');
    expect(await page.getByRole('heading', { name: 'Official result' }).count()).toBe(1);
    await eventually('SSE event: final', async () => (sse.events.some((e) => e.event === 'final') ? true : undefined), 10_000);
    sse.close();

    // every event before the official one, on both streams, carried no per-option count
    const streamed = sse.events.map((e) => ({ event: e.event, snapshot: JSON.parse(e.data) as ResultsSnapshot }));
    const pageSeen = (await page.evaluate(() => (globalThis as unknown as { seenEvents: string[] }).seenEvents)).map((line) => {
      const space = line.indexOf(' ');
      return { event: line.slice(0, space), snapshot: JSON.parse(line.slice(space + 1)) as ResultsSnapshot };
    });
    for (const seen of [streamed, pageSeen]) {
      const before = seen.filter((e) => e.event !== 'final');
      expect(before.length).toBeGreaterThan(0);
      for (const e of before) expect(e.snapshot).toMatchObject({ counts: {}, final: false, visibility: 'hidden' });
      expect(seen.at(-1)).toMatchObject({ event: 'final', snapshot: { counts: { a: 7, b: 3 }, final: true } });
    }
    expect(foreign).toEqual([]);
  }, 120_000);

  const signInAsAdmin = async (page: Page) => {
    await page.goto('/admin');
    await page.getByLabel('Admin name').fill('ada');
    await page.getByRole('button', { name: 'Sign in as admin' }).click();
    await expect.poll(() => page.getByTestId('dashboard').count()).toBe(1);
  };

  it('bull-board: 401 without a session, 403 for a voter planting a session cookie, rendered for an admin who follows the console link', async () => {
    const anonymous = await (await context()).newPage();
    expect((await anonymous.goto('/admin/queues'))?.status()).toBe(401);

    const voterContext = await context();
    await voterContext.addCookies([{ name: 'urna_admin', value: s.voterToken('mallory'), url: s.gateway }]);
    const voter = await voterContext.newPage();
    expect((await voter.goto('/admin/queues'))?.status()).toBe(403);

    const adminContext = await context();
    const admin = await adminContext.newPage();
    await signInAsAdmin(admin);
    const [board] = await Promise.all([adminContext.waitForEvent('page'), admin.getByTestId('dashboard').click()]);
    await board.waitForLoadState();
    expect(board.url()).toBe(`${s.gateway}/admin/queues`);
    await expect.poll(() => board.getByText('urna-lifecycle').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const cookies = await adminContext.cookies(s.gateway);
    expect(cookies.find((c) => c.name === 'urna_admin')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await shot(board, 'bull-board', 1280);
    expect(foreign).toEqual([]);
  }, 120_000);

  it('console journey: schedule open and close, a storm of votes, the scheduled close fires, the console shows the accepted rate, the official result and the reconciliation', async () => {
    const electionId = randomName('e2e-sched');
    const adminContext = await context();
    const admin = await adminContext.newPage();
    await signInAsAdmin(admin);
    /** A datetime-local value in the browser's own zone. */
    const local = (at: number) =>
      admin.evaluate((ms) => {
        const d = new Date(ms);
        const two = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
      }, at);
    const closesAt = Date.now() + 75_000; // room for most of the storm on a busy machine (proofs of work)
    await admin.getByLabel('Title').fill('Scheduled (browser test)');
    await admin.getByLabel('Id (letters, digits, _ and -)').fill(electionId);
    await admin.getByLabel('Options, one per line (at least two)').fill('Red\nGreen\nBlue');
    await admin.getByLabel('Opens at (optional, scheduled)').fill(await local(Date.now() + 4_000));
    await admin.getByLabel('Closes at (optional, scheduled)').fill(await local(closesAt));
    await admin.getByRole('button', { name: 'Create election' }).click();
    const row = admin.locator(`tr[data-election="${electionId}"]`);
    await expect.poll(() => row.getByTestId('schedule').textContent()).toMatch(/^opens .* · closes /);
    // opened by the scheduler (BullMQ), and the list follows it without a click
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 30_000 }).toBe('open');
    await row.getByRole('button', { name: 'Scheduled (browser test)' }).click();

    // a storm through the API: 300 votes from 270 voters (30 second votes), 16 at a time, each
    // with the proof-of-work the election asks for (the deployment default here)
    const options = ['red', 'green', 'blue'];
    const votes = Array.from({ length: 270 }, (_, i) => ({ userId: `storm-${i}`, optionId: options[i % 3] as string }));
    for (let k = 29; k >= 0; k--) votes.splice(k * 9 + 5, 0, { userId: `storm-${k * 9}`, optionId: options[(k + 1) % 3] as string });
    const statuses: number[] = [];
    const rates: string[] = [];
    let next = 0;
    const sampling = setInterval(
      () =>
        void admin
          .getByTestId('rate')
          .textContent({ timeout: 2_000 })
          .then((text) => rates.push(text ?? ''))
          .catch(() => undefined),
      500,
    );
    try {
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < votes.length) {
            const v = votes[next++] as { userId: string; optionId: string };
            const token = s.voterToken(v.userId);
            const response = await fetch(`${s.gateway}/v1/elections/${electionId}/votes`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                'content-type': 'application/json',
                'x-altcha': await solvedProof(s.gateway, electionId, token),
              },
              body: JSON.stringify({ optionId: v.optionId }),
            });
            await response.arrayBuffer();
            statuses.push(response.status);
          }
        }),
      );
      // the console's figure is every ingest process's accepted votes, sampled by the lifecycle service
      const accepted202 = statuses.filter((st) => st === 202).length;
      await expect.poll(() => admin.getByTestId('accepted').textContent(), { timeout: 15_000 }).toBe(accepted202.toLocaleString('en'));
    } finally {
      clearInterval(sampling);
    }
    expect(statuses.filter((st) => st !== 202 && st !== 409)).toEqual([]);
    const accepted202 = statuses.filter((st) => st === 202).length;
    // a storm ran while voting was open (its pace is the proofs of work on a busy machine: ~1–7 votes/s)
    expect(accepted202).toBeGreaterThanOrEqual(40);
    expect(rates.some((text) => /^[1-9][\d.]* \/s$/.test(text.replace(/,/g, '')))).toBe(true);

    // the scheduled close fires on its own, then the recount: the console shows the official result
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 120_000 }).toBe('closed');
    expect(Date.now()).toBeGreaterThanOrEqual(closesAt - 1_000);
    const official = admin.getByTestId('official');
    await expect.poll(() => official.textContent(), { timeout: 90_000 }).toContain('Reconciliation');
    type Rec = { accepted: number; counted: number; rejected: Record<string, number>; liveMatched: boolean };
    const readRec = async () => (await api<Rec>(s.gateway, 'GET', `/v1/elections/${electionId}/reconciliation`)).json;
    // a vote that ingest validated while its cached election was open can reach the log after the
    // close marker and after the recount; it is re-reconciled within the late-entry watch (60 s)
    let rec = await readRec();
    for (const deadline = Date.now() + 75_000; rec.accepted < accepted202 && Date.now() < deadline; rec = await readRec())
      await delay(1_000);
    if (rec.accepted !== accepted202 || !rec.liveMatched) {
      const diff = await explainLiveDiff(inject('redisUrl'), s.logPrefix, 8, electionId);
      const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
      const storeNow = await new VoteStore({ client: dynamo, table: tableNames(s.tablePrefix).votes, logPartitions: 8 }).tally(electionId);
      dynamo.destroy();
      console.error(
        `reconciliation disagrees (202s: ${accepted202}):\n${JSON.stringify(rec)}\nthe vote store now: ${JSON.stringify(storeNow)}\n${diff.join('\n')}\n${s.serviceLogs(['tally-live', 'tally-store', 'recount'])}`,
      );
    }
    expect(rec.accepted).toBe(accepted202);
    expect(rec.counted + Object.values(rec.rejected).reduce((a, b) => a + b, 0)).toBe(rec.accepted);
    expect(rec.liveMatched).toBe(true);
    const rejected = Object.entries(rec.rejected)
      .map(([reason, n]) => `${n.toLocaleString('en')} ${reason}`)
      .join(', ');
    await expect
      .poll(() => official.textContent(), { timeout: 10_000 })
      .toContain(
        `${rec.counted.toLocaleString('en')} counted of ${rec.accepted.toLocaleString('en')} accepted; rejected: ${rejected}. The live tally matched.`,
      );
    expect(await admin.getByRole('heading', { name: 'Official result', exact: true }).count()).toBe(1);
    const results = await api<ResultsSnapshot>(s.gateway, 'GET', `/v1/elections/${electionId}/results`);
    expect(results.json.final).toBe(true);
    for (const option of options)
      expect(await countOf(admin, option).textContent()).toMatch(
        new RegExp(`^${(results.json.counts[option] ?? 0).toLocaleString('en')} · `),
      );
    const audit = await api<{ actions: Array<{ actor: string; action: string; electionId?: string }> }>(
      s.gateway,
      'GET',
      '/v1/admin/audit',
      await s.adminToken(),
    );
    const scheduled = audit.json.actions.filter((a) => a.electionId === electionId && (a.action === 'open' || a.action === 'close'));
    expect(scheduled.map((a) => `${a.actor} ${a.action}`).sort()).toEqual(['scheduler close', 'scheduler open']);
    await shot(admin, 'admin-official', 1280);
    expect(foreign).toEqual([]);
  }, 360_000);
});
