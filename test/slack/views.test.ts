import { describe, expect, it } from 'vitest';
import { parseClaimValue, parsePageValue } from '../../adapters/slack/actions.js';
import { checkBlockLimits, LIMITS } from '../../adapters/slack/limits.js';
import { mrkdwnText, safeUrl, truncateAtWord } from '../../adapters/slack/mrkdwn.js';
import { progressMessage } from '../../adapters/slack/progress-view.js';
import { evidenceMessage } from '../../adapters/slack/claim-view.js';
import { CLAIMS_PER_PAGE, MAX_REPORT_BLOCKS, pageCount, pageOfClaim, reportMessage } from '../../adapters/slack/report-view.js';
import type { Answer, Report } from '../../src/model.js';
import { textObjects } from './assertions.js';
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
  const everyView = (report: ReturnType<typeof makeReport>) => [
    ...Array.from({ length: pageCount(report) }, (_, page) => reportMessage(report, { page })),
    ...report.claims.map((claim) => evidenceMessage(report, claim)),
  ];

  it("stays within Block Kit limits and the schema for a huge hostile report, every page and every claim's evidence", () => {
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
    expect(line).toMatch(/^\*1\.\* :white_check_mark: supported · high confidence · Claim 1 says/);
    const claimPart = line.split(' · ')[2]!;
    const beforeEllipsis = claimPart.slice(0, claimPart.indexOf('…'));
    expect(report.claims[0]!.text.startsWith(beforeEllipsis)).toBe(true);
    expect(report.claims[0]!.text[beforeEllipsis.length]).toBe(' ');
  });

  it('shows the top claims at a glance, then every claim behind "All claims (N)", paged, with buttons that carry only ids', () => {
    const report = makeReport({ id: 'rep-1', claims: 20 });
    expect(pageCount(report)).toBe(4);
    const glance = reportMessage(report);
    const buttons = (message: ReturnType<typeof reportMessage>) =>
      (message.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string; text: { text: string } }[] }).elements;
    expect(buttons(glance).map((e) => [e.action_id, e.text.text])).toEqual([['claims_page:all', 'All claims (20)']]);
    expect(parsePageValue(buttons(glance)[0]!.value)).toEqual({ reportId: 'rep-1', page: 1 });
    expect(JSON.stringify(glance.blocks)).toContain('*Top claims* (3 of 20)');
    expect(glance.blocks.filter((b) => JSON.stringify(b).includes('claim_toggle:'))).toHaveLength(3);
    expect(JSON.stringify(glance.blocks)).not.toContain('*4.*');

    const first = reportMessage(report, { page: 1 });
    expect(buttons(first).map((e) => e.text.text)).toEqual(['Top claims', 'More claims (9–16 of 20)']);
    expect(parsePageValue(buttons(first)[0]!.value)).toEqual({ reportId: 'rep-1', page: 0 });
    expect(first.blocks.filter((b) => JSON.stringify(b).includes('claim_toggle:'))).toHaveLength(CLAIMS_PER_PAGE);
    expect(JSON.stringify(first.blocks)).toContain('*All claims* 1–8 of 20');

    const last = reportMessage(report, { page: 3 });
    expect(buttons(last).map((e) => [e.action_id, e.text.text])).toEqual([['claims_page:prev', 'Previous claims']]);
    expect(parsePageValue(buttons(last)[0]!.value)).toEqual({ reportId: 'rep-1', page: 2 });
    expect(JSON.stringify(last.blocks)).toContain('*17.*');
    expect(pageOfClaim(report, 'c17')).toBe(3);
    // A top claim opens on the glance, unless the page being looked at shows it too.
    expect(pageOfClaim(report, 'c2')).toBe(0);
    expect(pageOfClaim(report, 'c2', 1)).toBe(1);
    expect(pageOfClaim(report, 'c2', 2)).toBe(0);
    expect(pageOfClaim(report, 'nope')).toBeUndefined();
    // Three claims or fewer: no paging at all.
    expect(reportMessage(makeReport({ claims: 3 })).blocks.filter((b) => b.type === 'actions')).toHaveLength(0);
  });

  it('puts the claims the answer rests on among the top claims, in report order', () => {
    const report = { ...makeReport({ claims: 12 }), answer: { verdict: 'yes', confidence: 'high', basis: ['c7', 'c9'], text: 'Yes [1].' } satisfies Answer };
    const glance = JSON.stringify(reportMessage(report).blocks);
    const numbers = [...glance.matchAll(/\*(\d+)\.\* /g)].map((m) => Number(m[1]));
    expect(numbers).toEqual([1, 7, 9]);
    expect(pageOfClaim(report, 'c9')).toBe(0);
    expect(pageOfClaim(report, 'c2')).toBe(1);
  });

  it("gives confidence in words on the claim line and the number only in the claim's evidence", () => {
    const base = makeReport({ claims: 3 });
    const confidences = [0.8, 0.6, 0.3];
    const report = { ...base, claims: base.claims.map((c, i) => ({ ...c, verification: { ...c.verification, confidence: confidences[i]! } })) };
    const lines = reportMessage(report).blocks.filter((b) => JSON.stringify(b).includes('claim_toggle:')).map((b) => (b as { text: { text: string } }).text.text);
    expect(lines.map((l) => l.split(' · ')[1])).toEqual(['high confidence', 'medium confidence', 'low confidence']);
    expect(JSON.stringify(reportMessage(report).blocks)).not.toMatch(/0\.[368]0/);
    expect(JSON.stringify(evidenceMessage(report, report.claims[1]!).blocks)).toContain('confidence 0.60');
  });

  it('shows a claim that is its own quote once, as the verbatim quote', () => {
    const base = makeReport({ claims: 2 });
    const sentence = 'Vitamin D supplementation lowered the hip fracture rate by 12%.';
    const report = { ...base, claims: [{ ...base.claims[0]!, text: sentence, quote: ` ${sentence}` }, { ...base.claims[1]!, text: 'Hip fractures fell by 12%.', quote: 'CONCLUSIONS: Hip fractures fell by 12%.' }] };
    for (const id of ['c1', 'c2']) {
      const claim = report.claims.find((c) => c.id === id)!;
      const details = evidenceMessage(report, claim).blocks.find((b) => JSON.stringify(b).includes('verbatim*')) as { text: { text: string } };
      expect(details.text.text).not.toContain('in full');
      expect(details.text.text.split(claim.text.trim()).length - 1).toBe(1);
    }
    // A claim that says something else than its quote shows both.
    const other = JSON.stringify(evidenceMessage(base, base.claims[0]!).blocks);
    expect(other).toContain('Claim 1 in full');
    expect(other).toContain(base.claims[0]!.quote);
  });

  it('links every source it can (DOI, URL, PubMed, arXiv) and shows id and year for the rest', () => {
    const base = makeReport({ claims: 3 });
    const references = [
      { id: 'openalex:W1', title: 'By DOI', authors: ['Ann Lee'], year: 2001, doi: '10.1000/xyz' },
      { id: 'pubmed:123456', title: 'By PubMed id', authors: ['Bo Kim'], year: 2002 },
      { id: 'arxiv:2101.00001v2', title: 'By arXiv id', authors: ['Cy Diaz'], year: 2003 },
      { id: 'scifact:4983', title: 'From the corpus', authors: ['Di Eve'], year: 2012 },
      { id: 'corpus:9', title: 'By URL', authors: ['Ed Fox'], year: 2005, url: 'https://example.org/paper' },
    ];
    const claims = base.claims.map((c, i) => ({ ...c, paperId: references[i + 1]!.id, verification: { ...c.verification, evidence: [] } }));
    const report: Report = { ...base, references, claims, abstract: 'It does [1, 2, 3, 4, 5].' };
    const json = JSON.stringify([reportMessage(report, { page: 0 }), ...report.claims.map((c) => evidenceMessage(report, c))].map((m) => m.blocks));
    expect(json).toContain('<https://doi.org/10.1000/xyz|[1] By DOI (2001)>');
    expect(json).toContain('<https://pubmed.ncbi.nlm.nih.gov/123456/|[2] By PubMed id (2002)>');
    expect(json).toContain('<https://arxiv.org/abs/2101.00001v2|[3] By arXiv id (2003)>');
    expect(json).toContain('<https://example.org/paper|[5] By URL (2005)>');
    expect(json).toContain('[4] From the corpus (2012) · scifact:4983');
    // The short cite on the claim line too.
    expect(json).toContain('<https://pubmed.ncbi.nlm.nih.gov/123456/|[2] Kim 2002>');
    expect(json).toContain('[4] Eve 2012 · scifact:4983');
    expect(json).not.toMatch(/<[^>|]*\|\[4\]/);
  });

  it('keeps the report id out of everything visible: only button values carry it', () => {
    const id = '0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c11';
    const report = makeReport({ id, claims: 12 });
    for (const page of [0, 1, 2]) {
      const message = reportMessage(report, { page, askerId: 'U0ASKER' });
      expect(message.text).not.toContain(id);
      for (const t of textObjects(message.blocks)) expect(t.text).not.toContain(id.slice(0, 8));
      expect(JSON.stringify(message.blocks)).toContain(`"value":"${id}|`);
    }
  });

  it('leads with the bottom line and its badge as the header and the fallback text, then the answer text, mentioning the asker', () => {
    const answer: Answer = { verdict: 'yes', confidence: 'medium', basis: ['c1'], text: 'Yes: two trials find fewer fractures [1, 2].' };
    const report = { ...makeReport({ claims: 5 }), answer };
    const message = reportMessage(report, { page: 0, askerId: 'U0ASKER' });
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '✅ Yes (medium confidence)', emoji: true } });
    expect(message.text).toBe('✅ Yes (medium confidence) · “Does it work?”, asked by <@U0ASKER>');
    expect((message.blocks[1] as { text: { text: string } }).text.text).toBe(`<@U0ASKER> ${answer.text}`);
    // The answer text, not the whole abstract; the references it cites, linked.
    expect(JSON.stringify(message.blocks)).not.toContain('The evidence leans yes');
    expect(JSON.stringify(message.blocks[3])).toContain('*Cited in the answer*\\n<https://doi.org/10.1000/p1|[1]');
    expect(messageProblems(message, ['U0ASKER'])).toEqual([]);
    expect(blockProblems(message.blocks)).toEqual([]);
    // Each verdict has its own badge.
    const badges = (['yes', 'no', 'mixed', 'insufficient', 'not-applicable'] as const).map(
      (verdict) => (reportMessage({ ...report, answer: { ...answer, verdict } }).blocks[0] as { text: { text: string } }).text.text.split(' ')[0],
    );
    expect(new Set(badges).size).toBe(5);
    // Without a usable asker id nobody is mentioned.
    expect(reportMessage(report, { page: 0, askerId: 'not a user' }).text).not.toContain('<@');
    expect(reportMessage(makeReport(), { page: 0, askerId: 'U0ASKER' }).text).toBe('Answer: “Does it work?”, asked by <@U0ASKER>');
  });

  it('cannot ping anyone but the asker, whatever the papers say', () => {
    const ping = 'Fractures fell <@U999> <!everyone> @everyone <!channel> <@U999|boss>';
    const base = makeReport({ claims: 5, hostile: true });
    const report: Report = {
      ...base,
      answer: { verdict: 'no', confidence: 'low', basis: [], text: `No ${ping} [1].` },
      claims: base.claims.map((c) => ({ ...c, text: `${c.text} ${ping}`, quote: `${c.quote} ${ping}` })),
      references: base.references.map((r) => ({ ...r, title: `${r.title} ${ping}`, url: 'https://example.org/<@U999>' })),
    };
    for (const claim of report.claims) {
      const evidence = evidenceMessage(report, claim);
      expect(messageProblems(evidence, [])).toEqual([]);
      expect([evidence.text, ...textObjects(evidence.blocks).map((t) => t.text)].join('\n')).not.toMatch(/<[@!#]/);
    }
    for (const page of [0, 1]) {
      const message = reportMessage(report, { page, askerId: 'U0ASKER' });
      expect(messageProblems(message, ['U0ASKER'])).toEqual([]);
      const everything = [message.text, ...textObjects(message.blocks).map((t) => t.text)].join('\n');
      // Once in the fallback text, once with the answer.
      expect([...everything.matchAll(/<[@!][^>]*>/g)].map((m) => m[0])).toEqual(['<@U0ASKER>', '<@U0ASKER>']);
      expect(blockProblems(message.blocks)).toEqual([]);
    }
  });

  it("opens a claim's evidence (its verbatim quote and the evidence with links) from a button that names the claim", () => {
    const report = makeReport({ id: 'rep-2', claims: 3, evidencePerClaim: 2 });
    const message = reportMessage(report, { page: 0 });
    const button = (message.blocks.find((b) => JSON.stringify(b).includes('claim_toggle:1')) as { accessory: { value: string; text: { text: string }; accessibility_label: string } }).accessory;
    expect(parseClaimValue(button.value)).toEqual({ reportId: 'rep-2', claimId: 'c2' });
    expect(button.text.text).toBe('Evidence');
    expect(button.accessibility_label.startsWith('Evidence for claim 2: ')).toBe(true);
    expect(button.accessibility_label.length).toBeLessThanOrEqual(75);
    const evidence = evidenceMessage(report, report.claims[1]!);
    const text = JSON.stringify(evidence.blocks);
    expect(text).toContain(report.claims[1]!.quote);
    expect(text).toContain(':red_circle: Contradicts');
    expect(text).toContain('<https://doi.org/10.1000/p3|[3]');
    expect(evidence.text.startsWith('Evidence for claim 2: ')).toBe(true);
    expect(blockProblems(evidence.blocks)).toEqual([]);
  });

  it('says so when no claim could be extracted', () => {
    const message = reportMessage(makeReport({ claims: 0 }));
    expect(JSON.stringify(message.blocks)).toContain('No claims could be extracted');
    expect(blockProblems(message.blocks)).toEqual([]);
  });

  it('leads every page with the bottom line, and an older report without an answer with the title and the abstract', () => {
    const answer = { verdict: 'mixed' as const, confidence: 'low' as const, basis: ['c1'], text: 'Mixed: one paper supports it, one contradicts it.' };
    const report = { ...makeReport({ claims: 21, textWords: 400, hostile: true }), answer };
    const header = (message: ReturnType<typeof reportMessage>) => (message.blocks[0] as { text: { text: string } }).text.text;
    for (let page = 0; page < pageCount(report); page++) {
      const message = reportMessage(report, { page });
      expect(header(message)).toBe('⚖️ Mixed evidence (low confidence)');
      expect(message.text.startsWith('⚖️ Mixed evidence (low confidence) · ')).toBe(true);
      expect(blockProblems(message.blocks)).toEqual([]);
    }
    const old = reportMessage(makeReport());
    expect(header(old)).toBe(makeReport().title);
    expect((old.blocks[1] as { text: { text: string } }).text.text.startsWith('*Answer*\nThe evidence leans yes')).toBe(true);
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
    expect(JSON.stringify(running.blocks)).toContain('"confirm":');
    const done = progressMessage(tracker.snapshot(), 'job-1');
    expect(done.text).toContain('Done');
    // Done, it collapses to one line.
    expect(done.blocks).toHaveLength(1);
    expect(JSON.stringify(done.blocks)).not.toContain('run_cancel');
    expect(JSON.stringify(done.blocks)).not.toContain('Searching');
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
