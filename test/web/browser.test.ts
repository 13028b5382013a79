/**
 * The web adapter in a real browser: Debian's Chromium driven by playwright-core. A question over
 * the SciFact corpus (progress changes, the answer arrives, a claim expands to its verbatim quote),
 * Cancel and Retry, the report page (`#claim-N`, the JSON download), hostile text rendered as text
 * (no dialog, no console error), and axe-core with no serious or critical violation. Screenshots of
 * the answer and of the report page are saved under `.artifacts/web/` (gitignored; copies in docs/).
 *
 * Skipped, saying so, only when /usr/bin/chromium is absent and CI is unset; in CI it always runs.
 * Chromium may load the loopback page only: every other request is aborted and fails the test.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model.js';
import { FIXTURES, ROOT, SCIFACT } from '../helpers/paths.js';
import { makeReport, scriptedSynthesize } from '../slack/scripted.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { startWebHarness, type WebHarness } from './harness.js';

const available = existsSync(CHROMIUM);
const skip = !available && !process.env.CI;
if (skip) console.warn(`test/web/browser.test.ts skipped: ${CHROMIUM} is absent (apt-get install -y chromium). In CI (CI set) it runs and fails instead.`);

/** Where the run leaves its screenshots (gitignored). */
export const ARTIFACTS = join(ROOT, '.artifacts', 'web');
const HOSTILE_CORPUS = join(FIXTURES, 'web', 'hostile-corpus.jsonl');
const XSS = '<img src=x onerror=alert(1)>';
/** A SciFact question with several claims, evidence and a findings table (a yes of medium confidence). */
const QUESTION = 'Does aspirin reduce the risk of colorectal cancer?';

/** What a page did that it should not: dialogs, console errors, uncaught errors. */
function watch(page: Page) {
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

// Scripts run in the page (as strings: this project's TypeScript has no DOM types).
/** The page's live stream has sent the threads (a function, not a string: the page's CSP forbids eval). */
const LIVE = () => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.live === 'ready';

/** Records the progress message's texts as the page shows them (in the page, so no change is missed). */
async function recordProgress(page: Page) {
  await page.evaluate(`(() => {
    const seen = [];
    window.progressSeen = seen;
    const note = () => {
      for (const el of document.querySelectorAll('.kind-progress')) {
        const text = (el.textContent || '').trim();
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }
    };
    new MutationObserver(note).observe(document.getElementById('threads'), { subtree: true, childList: true, characterData: true });
  })()`);
  return () => page.evaluate('window.progressSeen') as Promise<string[]>;
}

/** Runs axe-core in the page (evaluated through the debugging protocol: the page's CSP allows no injected script tag). */
async function axe(page: Page): Promise<{ id: string; impact: string; nodes: number; help: string }[]> {
  const source = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.evaluate(source);
  return (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })))",
  )) as { id: string; impact: string; nodes: number; help: string }[];
}

/** The violations axe rates serious or critical. */
const serious = (list: { impact: string }[]) => list.filter((v) => v.impact === 'serious' || v.impact === 'critical');

describe.skipIf(skip)('the web page in Chromium', () => {
  let context: BrowserContext;
  let offLoopback: string[];
  let closeBrowser: (() => Promise<void>) | undefined;
  let scifact: WebHarness;
  let hostile: WebHarness;
  let scripted: WebHarness;

  /**
   * The cancel test's runs: the first is slow (a minute of stages), so it is still going however long
   * axe takes on a loaded machine before Cancel is pressed; the retry is quick.
   */
  const cancelThenRetry = (): Synthesize => {
    const slow = scriptedSynthesize({ stepMs: 8_000, report: (id) => makeReport({ id }) });
    const quick = scriptedSynthesize({ stepMs: 200, report: (id) => makeReport({ id }) });
    let calls = 0;
    return (request, options) => (calls++ === 0 ? slow : quick)(request, options);
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [scifact, hostile, scripted, { context, offLoopback }] = await Promise.all([
      startWebHarness({ corpus: [SCIFACT.corpus], adapter: { progressIntervalMs: 100, tickMs: 500 } }),
      startWebHarness({ corpus: [HOSTILE_CORPUS] }),
      startWebHarness({ synthesize: cancelThenRetry() }),
      launchChromium().then((browser) => {
        closeBrowser = browser.close;
        return browser;
      }),
    ]);
    // Build the SciFact index before the first question, as `npm start` does.
    const corpus = scifact.core.runtime.sources[0] as unknown as { load(): Promise<unknown> };
    await corpus.load();
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([scifact, hostile, scripted].filter(Boolean).map((h) => h.close()));
    expect(offLoopback ?? []).toEqual([]);
  });

  it('asks a question over SciFact, watches the progress change, reads the answer and a claim’s verbatim quote, opens the report at #claim-N and downloads its JSON', async () => {
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${scifact.base}/`);
    await page.waitForFunction(LIVE);
    const progress = await recordProgress(page);
    await page.getByLabel('Your research question').fill(QUESTION);
    await page.getByRole('button', { name: 'Ask' }).click();

    const thread = page.locator('article.thread').first();
    await expect.poll(() => thread.locator('.kind-parent').textContent()).toContain(`Researching: ${QUESTION}`);
    const answer = thread.locator('.kind-answer');
    await answer.waitFor({ timeout: 30_000 });
    const seen = await progress();
    // The progress message changed while the run went, and ended in one line.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toMatch(/^✓ Done in \d+\.\d s: \d+ claims?, quality/);
    await expect.poll(() => thread.locator('.kind-parent .outcome').textContent()).toMatch(/Answered below: (Yes|No|Mixed evidence|Insufficient evidence)/);
    expect(await answer.locator('.bottom-line').textContent()).toMatch(/(Yes|No|Mixed evidence|Insufficient evidence|Not a yes\/no question)/);

    // A claim expands, by keyboard, to its verbatim quote.
    const summary = answer.locator('li.claim summary').first();
    await summary.focus();
    await page.keyboard.press('Enter');
    const quote = answer.locator('li.claim').first().locator('blockquote.quote.own');
    await expect.poll(() => quote.isVisible()).toBe(true);
    const href = (await answer.locator('a.full-report').getAttribute('href'))!;
    const reportId = href.split('/').pop()!;
    const report = (await (await fetch(`${scifact.base}/reports/${reportId}/download/json`)).json()) as Report;
    const shownQuote = (await quote.textContent())!;
    expect(report.claims.map((c) => c.quote)).toContain(shownQuote);
    await thread.screenshot({ path: join(ARTIFACTS, 'web-answer.png') });

    // The report page, then a claim by its anchor.
    await answer.locator('a.full-report').click();
    await page.waitForURL(`**/reports/${reportId}`);
    expect(await page.locator('h1').textContent()).toBe(report.title);
    await page.setViewportSize({ width: 1100, height: 1500 });
    await page.screenshot({ path: join(ARTIFACTS, 'web-report.png') });
    await page.setViewportSize({ width: 1100, height: 900 });
    const n = Math.min(2, report.claims.length);
    await page.goto(`${scifact.base}/reports/${reportId}#claim-${n}`);
    const target = page.locator(`#claim-${n}`);
    expect(await page.evaluate("document.querySelector(':target')?.id")).toBe(`claim-${n}`);
    await expect.poll(() => target.isVisible()).toBe(true);
    expect(await target.locator('blockquote.quote.own').textContent()).toBe(report.claims[n - 1]!.quote);
    const box = (await target.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeLessThan(900);

    // The JSON download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#downloads a', { hasText: 'JSON' }).click()]);
    expect(download.suggestedFilename()).toBe(`synthesis-${reportId.slice(0, 8)}.json`);
    const downloaded = JSON.parse(readFileSync((await download.path())!, 'utf8')) as Report;
    expect(downloaded.id).toBe(reportId);
    expect(downloaded.claims).toHaveLength(report.claims.length);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('cancels after an in-place confirmation, then retries, from the keyboard', async () => {
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${scripted.base}/`);
    await page.waitForFunction(LIVE);
    await page.getByLabel('Your research question').fill('Does exercise improve sleep?');
    await page.keyboard.press('Enter');
    const thread = page.locator('article.thread').first();
    const cancel = thread.getByRole('button', { name: 'Cancel' });
    await cancel.waitFor();
    // The page while a run is going passes axe too.
    expect(serious(await axe(page))).toEqual([]);
    await cancel.focus();
    await page.keyboard.press('Enter');
    const confirm = thread.getByRole('group', { name: 'Cancel the run?' });
    await confirm.waitFor();
    // Focus moved to the confirmation; the live progress edits leave it alone.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Cancel the run');
    await page.keyboard.press('Enter');
    await thread.locator('.kind-failure').waitFor();
    // Retry replaces the failure in place (it becomes a notice): follow it by its id.
    const failure = thread.locator(`#${(await thread.locator('.kind-failure').getAttribute('id'))!}`);
    expect(await failure.textContent()).toContain('The run was cancelled.');
    await expect.poll(() => thread.locator('.kind-parent .outcome').textContent()).toContain('Cancelled.');
    await failure.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => failure.textContent()).toContain('Retried by you; a new run follows.');
    await thread.locator('.kind-answer').waitFor({ timeout: 20_000 });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('renders a hostile question and hostile paper titles as text: no dialog, no console error, no element from data', async () => {
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${hostile.base}/`);
    await page.waitForFunction(LIVE);
    await page.getByLabel('Your research question').fill(`Does vitamin D ${XSS} reduce fracture risk <!channel>?`);
    await page.getByRole('button', { name: 'Ask' }).click();
    const thread = page.locator('article.thread').first();
    const answer = thread.locator('.kind-answer');
    await answer.waitFor({ timeout: 20_000 });
    const question = (await thread.locator('.kind-parent .question').textContent())!;
    expect(question).toContain(XSS);
    // The core neutralises mention syntax in questions; what is left is shown as text.
    expect(question).toMatch(/<!channel>|@channel/);
    for (const summary of await answer.locator('summary').all()) await summary.click();
    const text = (await answer.textContent())!;
    expect(text).toContain(XSS);
    expect(text).toContain('<!channel>');
    expect(await page.locator('#threads img, #threads script, #threads svg[onload]').count()).toBe(0);

    await answer.locator('a.full-report').click();
    await page.waitForURL('**/reports/*');
    const body = (await page.locator('main').textContent())!;
    expect(body).toContain(`Vitamin D ${XSS} and fracture risk <!channel> in older adults`);
    expect(body).toContain(`older adults ${XSS}.`);
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    // A javascript: URL from a paper is never a link.
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('passes axe-core with no serious or critical violation, on the ask page with an answer open and on the report page', async () => {
    const page = await context.newPage();
    await page.goto(`${scifact.base}/`);
    await page.waitForFunction(LIVE);
    await page.getByLabel('Your research question').fill('Is it true that exercise improves sleep quality in older adults?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const thread = page.locator('article.thread').first();
    await thread.locator('.kind-answer').waitFor({ timeout: 30_000 });
    await thread.locator('.kind-answer li.claim summary').first().click();
    const ask = await axe(page);
    expect(serious(ask)).toEqual([]);
    await thread.locator('a.full-report').click();
    await page.waitForURL('**/reports/*');
    await page.locator('details.map-table summary').click();
    const report = await axe(page);
    expect(serious(report)).toEqual([]);
    if (ask.length + report.length > 0) console.warn('axe (moderate or minor):', JSON.stringify([...ask, ...report]));
    await page.close();
  }, 60_000);
});
