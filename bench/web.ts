/**
 * The web page's speed, in a real browser (Debian's Chromium under playwright-core):
 *
 * - start → a page that answers: `node dist/adapters/start.js` as `npm start` runs it (no chat
 *   platform, the SciFact corpus, whose index is built before the page listens), timed to the first
 *   200 of the page, and that time after the index was built (target < 2 s); then the first answer
 *   shown for a question asked as soon as the page has loaded;
 * - question → first progress event on the page (target < 300 ms), in page time: from the form's
 *   submit to the progress message in the thread, over 10 SciFact questions;
 * - the report page of a report with 50 claims and 200 references: first render in the browser
 *   (first contentful paint, target < 500 ms), cold (the server renders it) and warm.
 *
 *   npm run bench -- web      (SCIFACT_DIR overrides ../shared/data/scifact)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Claim, Report } from '../src/model.js';
import { createStores } from '../src/store/store.js';
import { CHROMIUM, launchChromium } from '../test/web/chromium.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const scifact = resolve(process.env.SCIFACT_DIR ?? join(root, '..', 'shared', 'data', 'scifact'));
if (!existsSync(CHROMIUM)) {
  console.log(JSON.stringify({ bench: 'web', skipped: `${CHROMIUM} is absent: apt-get install -y chromium` }));
  process.exit(0);
}

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const round = (x: number) => Math.round(x * 10) / 10;

/** A report of the given size, valid against the schema: claims with evidence both ways, long titles. */
function largeReport(id: string, claims: number, references: number): Report {
  const words = (n: number, seed: string) => Array.from({ length: n }, (_, i) => `${seed}${i % 5 === 0 ? 'supplementation' : 'finding'}${i}`).join(' ');
  const refs = Array.from({ length: references }, (_, i) => ({
    id: `corpus:${100000 + i}`,
    title: `Paper ${i + 1}: ${words(14, 't')}`,
    authors: ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson'].slice(0, 1 + (i % 4)),
    year: 1990 + (i % 35),
    venue: `Journal ${i % 17}`,
    ...(i % 3 === 0 ? { doi: `10.1000/bench.${i}` } : {}),
  }));
  const list: Claim[] = Array.from({ length: claims }, (_, i) => ({
    id: `c${i + 1}`,
    text: `Claim ${i + 1}: ${words(24, 'c')}.`,
    paperId: refs[i % references]!.id,
    quote: `Quote ${i + 1}: ${words(30, 'q')}.`,
    verification: {
      verdict: i % 3 === 0 ? 'supported' : i % 3 === 1 ? 'contradicted' : 'insufficient',
      confidence: i % 3 === 2 ? 0.3 : 0.8,
      evidence: Array.from({ length: 4 }, (_, j) => ({
        paperId: refs[(i * 4 + j + 1) % references]!.id,
        quote: `Evidence ${j + 1} for claim ${i + 1}: ${words(26, 'e')}.`,
        stance: j % 2 === 0 ? ('supports' as const) : ('contradicts' as const),
      })),
    },
  }));
  return {
    schemaVersion: 1,
    id,
    question: 'Does vitamin D supplementation reduce fracture risk in older adults?',
    title: 'Evidence synthesis: does vitamin D supplementation reduce fracture risk in older adults?',
    abstract: `Mixed evidence [1, 2, 3]. ${words(120, 'a')} [4].`,
    createdAt: new Date().toISOString(),
    methodology: {
      engine: 'extractive',
      sources: [{ name: 'corpus', status: 'ok', found: 400, identified: 400, deduplicated: 380, screened: 260, included: references }],
      identified: 400,
      deduplicated: 380,
      screened: 260,
      included: references,
      excluded: { 'no abstract': 20, 'off topic': 100 },
    },
    claims: list,
    reviews: [
      { reviewer: 'coverage', score: 7, rationale: 'Most parts of the question are addressed.' },
      { reviewer: 'evidence', score: 5, rationale: 'Evidence both ways.' },
      { reviewer: 'sources', score: 6, rationale: 'Many papers.' },
    ],
    qualityScore: 6,
    gaps: [],
    limitations: ['Abstracts only.'],
    references: refs,
    timings: { totalMs: 1234, stages: { search: 100 } },
    answer: { verdict: 'mixed', confidence: 'low', basis: ['c1', 'c2'], text: 'Mixed evidence [1, 2, 3].' },
    findings: Array.from({ length: 30 }, (_, i) => ({ paperId: refs[i]!.id, subject: `group ${i}`, measure: 'hazard ratio', value: `0.${70 + i}`, condition: 'older adults' })),
  };
}

// The process, as `npm start` runs it (`node dist/adapters/start.js`, built first as `npm install`
// builds it), over a sqlite store that already holds the large report.
const built = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
if (!existsSync(join(root, 'dist', 'adapters', 'start.js'))) throw new Error(`the build made no dist/adapters/start.js: ${built.stdout}${built.stderr}`);
const dir = mkdtempSync(join(tmpdir(), 'bench-web-'));
const storeUrl = `sqlite://${join(dir, 'store.sqlite')}`;
const largeId = '5e1d0c4a-6f5e-4b7a-9a3c-2d1e0f9b8a70';
{
  const stores = await createStores(storeUrl);
  await stores.reports.set(largeId, largeReport(largeId, 50, 200));
  await stores.close();
}
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const started = performance.now();
const child = spawn(process.execPath, [join(root, 'dist', 'adapters', 'start.js')], {
  cwd: dir,
  env: { PATH: process.env.PATH ?? '', HOME: dir, STORE_URL: storeUrl, SYNTH_SOURCES: 'none', SYNTH_CORPUS: join(scifact, 'corpus.jsonl.gz'), WEB_PORT: String(port), LOG_LEVEL: 'info' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let indexBuiltAt: number | undefined;
let indexMs: number | undefined;
child.stderr.setEncoding('utf8');
child.stderr.on('data', (chunk: string) => {
  for (const line of chunk.split('\n')) {
    if (!line.includes('corpus index built')) continue;
    indexBuiltAt = performance.now() - started;
    indexMs = (JSON.parse(line) as { ms: number }).ms;
  }
});

let pageAt: number | undefined;
while (pageAt === undefined) {
  try {
    if ((await fetch(`${base}/`)).status === 200) pageAt = performance.now() - started;
  } catch {
    // Not listening yet.
  }
  if (pageAt === undefined) await new Promise((r) => setTimeout(r, 10));
  if (performance.now() - started > 30_000) throw new Error('the page did not answer within 30 s');
}

const browser = await launchChromium({ width: 1100, height: 900 });
const page = await browser.context.newPage();
const live = () => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.live === 'ready';

/** Asks a question in the page; resolves to in-page times (ms) from submit to the parent, the first progress and the answer. */
async function ask(p: Page, question: string): Promise<{ parent: number; progress: number; answer: number }> {
  const before = await p.locator('.kind-answer').count();
  await p.evaluate(`(() => {
    window.benchTimes = {};
    const threads = document.getElementById('threads');
    const seen = (name, selector) => { if (!window.benchTimes[name] && threads.querySelectorAll(selector).length > (window.benchCounts[name] || 0)) window.benchTimes[name] = performance.now(); };
    window.benchCounts = { parent: threads.querySelectorAll('.kind-parent').length, progress: threads.querySelectorAll('.kind-progress').length, answer: threads.querySelectorAll('.kind-answer').length };
    new MutationObserver(() => { seen('parent', '.kind-parent'); seen('progress', '.kind-progress'); seen('answer', '.kind-answer'); }).observe(threads, { childList: true, subtree: true });
  })()`);
  await p.locator('#question').fill(question);
  await p.evaluate(`(() => { window.benchTimes.submit = performance.now(); document.getElementById('ask').requestSubmit(); })()`);
  await p.locator('.kind-answer').nth(before).waitFor({ timeout: 60_000 });
  const t = (await p.evaluate('window.benchTimes')) as Record<string, number>;
  return { parent: t.parent! - t.submit!, progress: t.progress! - t.submit!, answer: t.answer! - t.submit! };
}

// 1. The first question, asked as soon as the page has loaded (the index may still be building).
await page.goto(`${base}/`);
await page.waitForFunction(live);
const firstAsked = performance.now() - started;
const first = await ask(page, 'Does vitamin D supplementation reduce fracture risk?');
const firstAnswerAt = firstAsked + first.answer;

// 2. Question → first progress event, index built.
const claims = readFileSync(join(scifact, 'claims_train.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { claim: string }).claim);
const questions = claims.filter((_, i) => i % 81 === 0).slice(0, 10).map((c) => `Is it true that ${c.replace(/\.$/, '')}?`);
const runs: { parent: number; progress: number; answer: number }[] = [];
for (const question of questions) runs.push(await ask(page, question));

// 3. The large report's page: first contentful paint, cold (rendered by the server) then warm.
const paints: number[] = [];
const loads: number[] = [];
for (let i = 0; i < 6; i++) {
  const p = await browser.context.newPage();
  await p.goto(`${base}/reports/${largeId}`, { waitUntil: 'load' });
  const timing = (await p.evaluate(`new Promise((resolve) => {
    const done = (fcp) => {
      const nav = performance.getEntriesByType('navigation')[0];
      resolve({ fcp, load: nav.loadEventEnd });
    };
    const now = performance.getEntriesByName('first-contentful-paint')[0];
    if (now) return done(now.startTime);
    new PerformanceObserver((list) => {
      const entry = list.getEntriesByName('first-contentful-paint')[0];
      if (entry) done(entry.startTime);
    }).observe({ type: 'paint', buffered: true });
    setTimeout(() => done(-1), 5000);
  })`)) as { fcp: number; load: number };
  paints.push(timing.fcp);
  loads.push(timing.load);
  await p.close();
}
const pageBytes = (await (await fetch(`${base}/reports/${largeId}`)).text()).length;

await browser.close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
if (browser.offLoopback.length > 0) throw new Error(`Chromium tried to reach ${browser.offLoopback.join(', ')}`);

const progress = runs.map((r) => r.progress);
const result = {
  bench: 'web',
  start: {
    toPageMs: round(pageAt),
    indexBuiltAtMs: indexBuiltAt === undefined ? null : round(indexBuiltAt),
    indexBuildMs: indexMs ?? null,
    pageAfterIndexMs: indexBuiltAt === undefined ? null : round(pageAt - indexBuiltAt),
    toPageLessIndexBuildMs: indexMs === undefined ? null : round(pageAt - indexMs),
    target: '< 2000 after the index is built',
    firstQuestionAskedAtMs: round(firstAsked),
    firstAnswerAtMs: round(firstAnswerAt),

  },
  question: {
    runs: runs.length,
    toParentMedianMs: round(quantile(runs.map((r) => r.parent), 0.5)),
    toFirstProgressMedianMs: round(quantile(progress, 0.5)),
    toFirstProgressP95Ms: round(quantile(progress, 0.95)),
    toFirstProgressMaxMs: round(Math.max(...progress)),
    target: '< 300',
    toAnswerMedianMs: round(quantile(runs.map((r) => r.answer), 0.5)),
  },
  reportPage: {
    claims: 50,
    references: 200,
    htmlKb: Math.round(pageBytes / 1024),
    firstContentfulPaintColdMs: round(paints[0]!),
    firstContentfulPaintWarmMedianMs: round(quantile(paints.slice(1), 0.5)),
    loadColdMs: round(loads[0]!),
    loadWarmMedianMs: round(quantile(loads.slice(1), 0.5)),
    target: '< 500',
  },
};
console.log(JSON.stringify(result));
