import { describe, expect, it } from 'vitest';
import { parseClaimValue, parsePageValue } from '../../adapters/slack/actions.js';
import { checkBlockLimits, LIMITS } from '../../adapters/slack/limits.js';
import { mrkdwnText, safeUrl, truncateAtWord } from '../../adapters/slack/mrkdwn.js';
import { progressMessage } from '../../adapters/slack/progress-view.js';
import { CLAIMS_PER_PAGE, MAX_REPORT_BLOCKS, pageCount, pageOfClaim, reportMessage } from '../../adapters/slack/report-view.js';
import { createProgressTracker } from '../../src/progress.js';
import { messageProblems } from './assertions.js';
import { blockProblems } from './block-kit.js';
import { HOSTILE, makeReport } from './scripted.js';

describe('text for Slack', () => {
  it('escapes &, < and > after making mentions inert', () => {
    expect(mrkdwnText('a & b <!channel> <@U123> <b>')).toBe('a &amp; b @channel @U123 &lt;b&gt;');
    expect(messageProblems({ text: mrkdwnText(HOSTILE) }, [])).toEqual([]);
  });

  it('shortens at a word boundary with an ellipsis, never mid-word', () => {
    const text = 'alpha beta gamma delta epsilon';
    for (let max = 6; max < text.length; max++) {
      const out = truncateAtWord(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.endsWith('…')).toBe(true);
      const kept = out.slice(0, -1);
      expect(text.startsWith(kept)).toBe(true);
      expect(text[kept.length] === ' ' || kept.length === 0).toBe(true);
    }
    expect(truncateAtWord('short', 10)).toBe('short');
    expect(truncateAtWord('a &amp; b', 6)).toBe('a…');
    expect(truncateAtWord('fell &amp; here', 14)).toBe('fell &amp;…');
  });

  it('only links http(s) URLs, with the link syntax characters encoded', () => {
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('https://x.org/a?b=<c>|d')).toBe('https://x.org/a?b=%3Cc%3E%7Cd');
    expect(safeUrl(`https://x.org/${'a'.repeat(600)}`)).toBeUndefined();
  });
});

describe('the answer message', () => {
  const everyView = (report: ReturnType<typeof makeReport>) =>
    Array.from({ length: pageCount(report) }, (_, page) => [
      reportMessage(report, { page, expanded: [] }),
      reportMessage(report, { page, expanded: report.claims.map((c) => c.id) }),
    ]).flat();

  it('stays within Block Kit limits and the schema for a huge hostile report, every page fully expanded', () => {
    const report = makeReport({ claims: 21, evidencePerClaim: 30, textWords: 400, hostile: true });
    expect(MAX_REPORT_BLOCKS).toBeLessThanOrEqual(LIMITS.blocks);
    for (const message of everyView(report)) {
      expect(blockProblems(message.blocks)).toEqual([]);
      expect(message.blocks.length).toBeLessThanOrEqual(MAX_REPORT_BLOCKS);
      expect(messageProblems(message, [])).toEqual([]);
    }
  });

  it('writes claims on one line each, cut at word boundaries', () => {
    const report = makeReport({ claims: 2, textWords: 200 });
    const line = (reportMessage(report).blocks.find((b) => JSON.stringify(b).includes('claim_toggle:0')) as { text: { text: string } }).text.text;
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^\*1\.\* :white_check_mark: supported · 0\.80 · Claim 1 says/);
    const claimPart = line.split(' · ')[2]!;
    const beforeEllipsis = claimPart.slice(0, claimPart.indexOf('…'));
    expect(report.claims[0]!.text.startsWith(beforeEllipsis)).toBe(true);
    expect(report.claims[0]!.text[beforeEllipsis.length]).toBe(' ');
  });

  it('pages the claims with buttons that carry only the report id and the page', () => {
    const report = makeReport({ id: 'rep-1', claims: 20 });
    expect(pageCount(report)).toBe(3);
    const first = JSON.stringify(reportMessage(report).blocks);
    expect(first).toContain('More claims (9–16 of 20)');
    expect(first).not.toContain('Previous claims');
    const last = reportMessage(report, { page: 2, expanded: [] });
    const nav = last.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] };
    expect(nav.elements.map((e) => e.action_id)).toEqual(['claims_page:prev']);
    expect(parsePageValue(nav.elements[0]!.value)).toEqual({ reportId: 'rep-1', page: 1 });
    expect(JSON.stringify(last.blocks)).toContain('*17.*');
    expect(pageOfClaim(report, 'c17')).toBe(2);
    expect(pageOfClaim(report, 'nope')).toBeUndefined();
  });

  it('expands a claim into its verbatim quote and the evidence with links', () => {
    const report = makeReport({ id: 'rep-2', claims: 3, evidencePerClaim: 2 });
    const collapsed = reportMessage(report, { page: 0, expanded: [] });
    const expanded = reportMessage(report, { page: 0, expanded: ['c2'] });
    expect(expanded.blocks.length).toBe(collapsed.blocks.length + 2);
    const text = JSON.stringify(expanded.blocks);
    expect(text).toContain(report.claims[1]!.quote);
    expect(text).toContain('Hide evidence');
    expect(text).toContain(':red_circle: Contradicts');
    expect(text).toContain('<https://doi.org/10.1000/p1|[1]');
    const button = (expanded.blocks.find((b) => JSON.stringify(b).includes('claim_toggle:1')) as { accessory: { value: string } }).accessory;
    expect(parseClaimValue(button.value)).toEqual({ reportId: 'rep-2', claimId: 'c2' });
  });

  it('says so when no claim could be extracted', () => {
    const message = reportMessage(makeReport({ claims: 0 }));
    expect(JSON.stringify(message.blocks)).toContain('No claims could be extracted');
    expect(blockProblems(message.blocks)).toEqual([]);
  });

  it(`keeps ${CLAIMS_PER_PAGE} claims per page`, () => {
    const message = reportMessage(makeReport({ claims: CLAIMS_PER_PAGE }));
    expect(message.blocks.filter((b) => b.type === 'actions')).toHaveLength(0);
  });

  it('leads the answer section with the bottom line when the report has an answer, on every page', () => {
    const answerText = (message: ReturnType<typeof reportMessage>) => (message.blocks[1] as { text: { text: string } }).text.text;
    const answer = { verdict: 'mixed' as const, confidence: 'low' as const, basis: ['c1'], text: 'Mixed: one paper supports it, one contradicts it.' };
    const report = { ...makeReport({ claims: 21, textWords: 400, hostile: true }), answer };
    for (let page = 0; page < pageCount(report); page++) {
      const message = reportMessage(report, { page, expanded: [] });
      expect(answerText(message).startsWith('*Answer: Mixed evidence (low confidence)*\n')).toBe(true);
      expect(blockProblems(message.blocks)).toEqual([]);
    }
    // An older report without an answer keeps the plain heading.
    expect(answerText(reportMessage(makeReport())).startsWith('*Answer*\n')).toBe(true);
  });
});

describe('the progress message', () => {
  it('shows each stage with its counts, the elapsed time, and a Cancel button while running', () => {
    const tracker = createProgressTracker();
    tracker.apply({ type: 'stage-started', stage: 'search', runId: 'r', elapsedMs: 10 });
    tracker.apply({ type: 'source-finished', source: `openalex ${HOSTILE}`, status: 'failed', found: 0, error: HOSTILE, ms: 5, runId: 'r', elapsedMs: 900 });
    tracker.apply({ type: 'stage-finished', stage: 'search', ms: 900, counts: { identified: 3 }, runId: 'r', elapsedMs: 1200 });
    tracker.apply({ type: 'stage-progress', stage: 'verify', done: 3, total: 8, runId: 'r', elapsedMs: 2500 });
    const running = progressMessage(tracker.snapshot(), 'job-1');
    expect(blockProblems(running.blocks)).toEqual([]);
    expect(messageProblems(running, [])).toEqual([]);
    expect(running.text).toContain('2.5 s');
    expect(JSON.stringify(running.blocks)).toContain('run_cancel');
    tracker.apply({ type: 'run-finished', reportId: 'r', claims: 8, qualityScore: 7, runId: 'r', elapsedMs: 4000 });
    const done = progressMessage(tracker.snapshot(), 'job-1');
    expect(done.text).toContain('Done');
    expect(JSON.stringify(done.blocks)).not.toContain('run_cancel');
  });
});

describe('the limit checker', () => {
  it('reports each kind of breach', () => {
    const long = 'x'.repeat(3001);
    const problems = checkBlockLimits([
      ...Array.from({ length: 50 }, () => ({ type: 'divider' })),
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
      { type: 'section', text: { type: 'mrkdwn', text: long }, accessory: { type: 'button', action_id: 'a'.repeat(256), text: { type: 'plain_text', text: 'b' }, value: 'v'.repeat(2001) } },
      { type: 'actions', elements: [{ type: 'button', action_id: 'dup', text: { type: 'plain_text', text: 'x' } }, { type: 'button', action_id: 'dup', text: { type: 'plain_text', text: 'y' } }] },
    ]);
    expect(problems.join('\n')).toMatch(/53 blocks/);
    expect(problems.join('\n')).toMatch(/header over 150/);
    expect(problems.join('\n')).toMatch(/section text 3001/);
    expect(problems.join('\n')).toMatch(/action_id over 255/);
    expect(problems.join('\n')).toMatch(/button value over 2000/);
    expect(problems.join('\n')).toMatch(/dup repeats/);
  });
});
