/**
 * The web adapter's parts on their own: its settings (on by default alone, beside a chat platform
 * only when asked, safe when exposed), signed report links, the escaping of every untrusted string,
 * the figures, and the hub that keeps a visitor's threads.
 */
import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { loadWebConfig, WebEnvSchema } from '../../adapters/web/config.js';
import { createHub } from '../../adapters/web/hub.js';
import { linkExpiry, reportPath, reportUrl, signReport, verifyReportSignature } from '../../adapters/web/links.js';
import { reportPage, threadsHtml } from '../../adapters/web/pages.js';
import { answerHtml, createWebRenderer, progressHtml, visitorName } from '../../adapters/web/render.js';
import { evidenceMarks, prismaSvg, wrap } from '../../adapters/web/svg.js';
import { ConfigError } from '../../src/errors.js';
import { createProgressTracker } from '../../src/progress.js';
import { makeReport } from '../slack/scripted.js';

const XSS = '<img src=x onerror=alert(1)>';
const SECRET = 's'.repeat(40);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('web settings', () => {
  it('serve on loopback port 3000 with no settings at all', () => {
    expect(loadWebConfig({})).toEqual({ host: '127.0.0.1', port: 3000, linkTtlMs: 30 * 86_400_000, rateLimit: 600, exposed: false });
  });

  it('turn off with WEB_ENABLED=false or WEB_PORT=off, and stay off beside a chat platform unless asked', () => {
    expect(loadWebConfig({ WEB_ENABLED: 'false' })).toBeUndefined();
    expect(loadWebConfig({ WEB_PORT: 'off' })).toBeUndefined();
    expect(loadWebConfig({}, { configured: ['slack'] })).toBeUndefined();
    expect(loadWebConfig({ WEB_ENABLED: 'true' }, { configured: ['slack'] })?.port).toBe(3000);
    expect(loadWebConfig({ PUBLIC_URL: 'https://synth.example.org/', WEB_SECRET: SECRET }, { configured: ['discord'] })).toMatchObject({
      publicUrl: 'https://synth.example.org',
      exposed: true,
    });
  });

  it('refuse to be exposed without a secret or a token, and never echo a secret', () => {
    expect(configError(() => loadWebConfig({ PUBLIC_URL: 'https://synth.example.org' })).variable).toBe('WEB_SECRET');
    expect(configError(() => loadWebConfig({ WEB_HOST: '0.0.0.0' })).variable).toBe('WEB_TOKEN');
    expect(loadWebConfig({ WEB_HOST: '0.0.0.0', WEB_TOKEN: 't'.repeat(20) })?.exposed).toBe(true);
    expect(loadWebConfig({ WEB_HOST: 'localhost' })?.exposed).toBe(false);
    const short = configError(() => loadWebConfig({ WEB_SECRET: 'hunter2-secret' }));
    expect(short.variable).toBe('WEB_SECRET');
    expect(short.message).not.toContain('hunter2');
    expect(configError(() => loadWebConfig({ WEB_PORT: 'http' })).message).toMatch(/WEB_PORT: must be a port number or off/);
    expect(configError(() => loadWebConfig({ PUBLIC_URL: 'javascript:alert(1)' })).variable).toBe('PUBLIC_URL');
  });

  it('are all listed in the schema .env.example is checked against', () => {
    expect(Object.keys(WebEnvSchema.shape).sort()).toEqual(
      ['PUBLIC_URL', 'WEB_ENABLED', 'WEB_HOST', 'WEB_LINK_TTL_DAYS', 'WEB_PORT', 'WEB_RATE_LIMIT', 'WEB_SECRET', 'WEB_TOKEN'].sort(),
    );
  });
});

describe('report links', () => {
  const id = '0b7f3a52-6a3e-4c41-9d1e-2f6c8a1b9e10';

  it('are signed with an expiry and check out only for their report, unexpired, untampered', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const exp = linkExpiry(86_400_000, now);
    expect(exp * 1000).toBeGreaterThanOrEqual(now + 86_400_000);
    const sig = signReport(SECRET, id, exp);
    expect(verifyReportSignature(SECRET, id, String(exp), sig, now)).toBe(true);
    expect(verifyReportSignature(SECRET, id, String(exp), sig, exp * 1000 + 1)).toBe(false);
    expect(verifyReportSignature(SECRET, `${id.slice(0, -1)}1`, String(exp), sig, now)).toBe(false);
    expect(verifyReportSignature(SECRET, id, String(exp + 86_400), sig, now)).toBe(false);
    expect(verifyReportSignature('x'.repeat(40), id, String(exp), sig, now)).toBe(false);
    expect(verifyReportSignature(SECRET, id, undefined, sig, now)).toBe(false);
    expect(reportPath(id, { ttlMs: 1000 })).toBe(`/reports/${id}`);
    expect(reportPath(id, { secret: SECRET, ttlMs: 86_400_000, now })).toBe(`/reports/${id}?exp=${exp}&sig=${sig}`);
  });

  it('reportUrl links Slack and Discord answers to the page only when PUBLIC_URL is set', () => {
    expect(reportUrl(id, {})).toBeUndefined();
    expect(reportUrl(id, { PUBLIC_URL: 'https://synth.example.org', WEB_SECRET: SECRET, WEB_ENABLED: 'false' })).toBeUndefined();
    const url = new URL(reportUrl(id, { PUBLIC_URL: 'https://synth.example.org/', WEB_SECRET: SECRET })!);
    expect(url.origin + url.pathname).toBe(`https://synth.example.org/reports/${id}`);
    expect(verifyReportSignature(SECRET, id, url.searchParams.get('exp') ?? undefined, url.searchParams.get('sig') ?? undefined)).toBe(true);
    // With a token only, the link is plain and the page asks for the token.
    expect(reportUrl(id, { PUBLIC_URL: 'https://synth.example.org', WEB_TOKEN: 't'.repeat(20) })).toBe(`https://synth.example.org/reports/${id}`);
    expect(reportUrl('../../etc/passwd', { PUBLIC_URL: 'https://synth.example.org', WEB_SECRET: SECRET })).toBeUndefined();
  });
});

/** A report whose every string carries markup, mention syntax and a script. */
function hostileReport() {
  const report = makeReport({ claims: 5, hostile: true, question: `Does it ${XSS} work <!channel>?` });
  report.title = `${report.title} ${XSS}`;
  report.references[0]!.title = `Vitamin D ${XSS} <!channel> trial`;
  report.references[1]!.url = 'javascript:alert(1)';
  report.claims[0]!.quote = `Quote ${XSS} </script><script>alert(2)</script>`;
  report.findings = [{ paperId: 'p1', subject: `D ${XSS}`, measure: 'risk', value: '0.8', condition: '<b>x</b>' }];
  report.answer = { verdict: 'yes', confidence: 'medium', basis: ['c1'], text: `Yes ${XSS} [1, 2].` };
  return report;
}

const noMarkupFromData = (html: string) => {
  expect(html).not.toMatch(/<img|<script|<b>|javascript:|onerror=(?!alert\(1\)&gt;)/i);
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
};

describe('escaping', () => {
  it('draws every untrusted string of an answer as text', () => {
    const report = hostileReport();
    const { html } = answerHtml(report, 'asker-1', { page: (id) => `/reports/${id}`, download: (id, f) => `/reports/${id}/download/${f}` });
    noMarkupFromData(String(html));
    expect(String(html)).toContain('&lt;!channel&gt;');
    // Citations become links to the references; nothing else does.
    expect(String(html)).toContain('href="/reports/report-0001#ref-1"');
  });

  it('draws every untrusted string of the report page as text, and its figures too', () => {
    const page = reportPage(hostileReport(), { query: '' });
    noMarkupFromData(page);
    expect(page).toContain('<svg class="prisma"');
    expect(page).toContain('<svg class="evidence-map"');
    expect(page.match(/<script/g)).toBeNull();
    for (let n = 1; n <= 5; n++) expect(page).toContain(`id="claim-${n}"`);
  });

  it('draws the question of a parent and the words of a notice as text', () => {
    const render = createWebRenderer({ page: (id) => `/r/${id}`, download: (id) => `/r/${id}` });
    const parent = render.parent({ question: `Why ${XSS}?`, asker: 'v1' });
    expect(parent.html).not.toContain('<img');
    expect(parent.html).toContain(`visitor ${visitorName('v1')}`);
    const notice = render.notice(['Only ', { user: 'v1' }, ` ${XSS}`]);
    expect(notice.html).not.toContain('<img');
    expect(notice.text).toBe(`Only visitor ${visitorName('v1')} ${XSS}`);
    const failure = render.failure({ runId: 'run-1', text: XSS, retryable: true });
    expect(failure.html).toContain('action="/runs/run-1/retry"');
    expect(failure.html).not.toContain('<img');
  });
});

describe('progress', () => {
  it('shows the stages with Cancel while running and one line once done', () => {
    const tracker = createProgressTracker();
    tracker.apply({ type: 'stage-started', stage: 'search', runId: 'r', elapsedMs: 10 });
    tracker.apply({ type: 'source-started', source: 'corpus', runId: 'r', elapsedMs: 10 });
    const running = progressHtml(tracker.snapshot(), 'r');
    expect(String(running.html)).toContain('action="/runs/r/cancel"');
    expect(running.text).toMatch(/^Searching… 0\.0 s$/);
    tracker.apply({ type: 'run-finished', runId: 'r', elapsedMs: 1234, reportId: 'r', claims: 3, qualityScore: 6 });
    const done = progressHtml(tracker.snapshot(), 'r');
    expect(done.text).toBe('Done in 1.2 s: 3 claims, quality 6/10.');
    expect(String(done.html)).not.toContain('cancel');
  });
});

describe('figures', () => {
  it('wraps text for the boxes, cutting words longer than a line', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
  });

  it('maps each claim to its own paper and the papers for and against it', () => {
    const report = makeReport({ claims: 3, evidencePerClaim: 2 });
    const { columns, rows } = evidenceMarks(report);
    expect(rows).toHaveLength(3);
    expect(rows[0]!.marks.get(1)).toBe('source');
    expect(rows[0]!.marks.get(2)).toBe('supports');
    expect(rows[0]!.marks.get(3)).toBe('contradicts');
    expect(columns).toEqual([1, 2, 3, 4, 5]);
    const svg = String(prismaSvg(report));
    expect(svg).toContain('Records identified: 12');
    expect(svg).toContain('Included in the synthesis: 6');
    expect(svg).toMatch(/role="img" aria-labelledby="prisma-title prisma-desc"/);
  });
});

describe('the hub', () => {
  it('keeps a channel in the store, pushes posts and edits to subscribers, and drops the oldest threads', async () => {
    const state = new Keyv();
    const hub = createHub({ state, maxThreads: 2 });
    const seen: string[] = [];
    const off = hub.subscribe('v1', (m) => seen.push(`${m.kind}:${m.rev}`));
    const message = (kind: 'parent' | 'progress', text: string) => ({ kind, html: `<p>${text}</p>`, text });
    const p1 = await hub.post('v1', undefined, message('parent', 'one'), { key: 'run-1:parent' });
    const r1 = await hub.post('v1', p1.id, message('progress', 'working'));
    await hub.edit('v1', r1.id, message('progress', 'done'));
    await hub.post('v1', p1.id, message('progress', 'just for now'), { ephemeral: true });
    expect(seen).toEqual(['parent:0', 'progress:0', 'progress:1', 'progress:0']);
    expect((await hub.find('v1', 'run-1:parent'))?.id).toBe(p1.id);
    expect(await hub.edit('v2', r1.id, message('progress', 'not yours'))).toBeUndefined();
    off();
    // A second hub over the same store (a restart) reads the same threads.
    const again = createHub({ state, maxThreads: 2 });
    expect((await again.list('v1')).map((m) => m.text)).toEqual(['one', 'done']);
    await again.post('v1', undefined, message('parent', 'two'));
    await again.post('v1', undefined, message('parent', 'three'));
    expect((await again.list('v1')).map((m) => m.text)).toEqual(['two', 'three']);
    expect(String(threadsHtml(await again.list('v1')))).toMatch(/three[\s\S]*two/);
  });
});
