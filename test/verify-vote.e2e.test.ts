/**
 * "Verify my vote" on the voter page, in Debian's Chromium against the whole stack: the page
 * checks the proof itself (WebCrypto SHA-256 and Ed25519) and says so; a proof tampered on the
 * way (page.route changes one byte of the leaf's salt) is shown as failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { eventually, randomName } from './helpers.ts';
import { api, startTestStack, type TestStack } from './stack.ts';
import { launchChromium } from './chromium.ts';

let s: TestStack;
let browser: Browser;
beforeAll(async () => {
  [s, browser] = await Promise.all([startTestStack(), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

async function signedInPage(electionId: string, userId: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: s.gateway })).newPage();
  await page.goto(`/?election=${electionId}`);
  await page.getByLabel('Your name').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.locator('[data-status="counted"]').count(), { timeout: 20_000 }).toBe(1);
  return page;
}

describe('"Verify my vote" in Chromium', () => {
  it('verifies a counted vote in the browser, and shows a tampered proof as failing', async () => {
    const admin = await s.adminToken();
    const id = randomName('vv');
    const options = [
      { id: 'cats', label: 'Cats' },
      { id: 'dogs', label: 'Dogs' },
    ];
    expect((await api(s.gateway, 'POST', '/v1/elections', admin, { id, title: 'Verify test', options, challenge: 'off' })).status).toBe(
      201,
    );
    expect((await api(s.gateway, 'POST', `/v1/elections/${id}/open`, admin)).status).toBe(200);
    const voteIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await api<{ voteId: string }>(s.gateway, 'POST', `/v1/elections/${id}/votes`, s.voterToken(`vv-${i}`), {
        optionId: i % 2 === 0 ? 'cats' : 'dogs',
      });
      expect(r.status).toBe(202);
      voteIds.push(r.json.voteId);
    }
    await eventually('proof published', async () => {
      const r = await api(s.gateway, 'GET', `/v1/elections/${id}/proofs/${voteIds[0]}`);
      return r.status === 200 ? true : undefined;
    });

    const page = await signedInPage(id, 'vv-0');
    await page.getByRole('button', { name: 'Verify my vote' }).click();
    const verdict = page.getByTestId('verify-verdict');
    await expect.poll(() => verdict.getAttribute('data-ok'), { timeout: 20_000 }).toBe('true');
    const panel = await page.getByTestId('verify-panel').textContent();
    expect(panel).toContain('Verified by your browser.');
    expect(panel).toContain("signed by urna's published key");
    expect(panel).toContain('Your vote is entry');
    expect(panel).toContain("urna's count says: Counted.");
    expect(panel).toContain('public poll');

    // the same check with one byte of the leaf changed on the way: the browser must refuse it
    const tampered = await signedInPage(id, 'vv-0');
    await tampered.route('**/proofs/**', async (route) => {
      const response = await route.fetch();
      const proof = (await response.json()) as { leaf: string };
      const last = proof.leaf.slice(-1);
      proof.leaf = `${proof.leaf.slice(0, -1)}${last === '0' ? '1' : '0'}`;
      await route.fulfill({ response, json: proof });
    });
    await tampered.getByRole('button', { name: 'Verify my vote' }).click();
    const bad = tampered.getByTestId('verify-verdict');
    await expect.poll(() => bad.getAttribute('data-ok'), { timeout: 20_000 }).toBe('false');
    const badPanel = await tampered.getByTestId('verify-panel').textContent();
    expect(badPanel).toContain('Verification FAILED');
    expect(badPanel).toContain('does not lead to the signed checkpoint');
  });
});
