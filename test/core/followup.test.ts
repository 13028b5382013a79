import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import type { ProgressEvent } from '../../src/events.js';
import { ReportSchema, type Report } from '../../src/model.js';
import {
  answersQuestion,
  contextualise,
  followUp,
  isChitChat,
  parseThreadCommand,
  sanitizeFollowUp,
  THREAD_SOURCE,
  threadPapers,
} from '../../src/pipeline/followup.js';
import { buildReferences, quoteIsVerbatim } from '../../src/pipeline/invariants.js';
import { createSynthesizer, type Synthesize } from '../../src/pipeline/synthesize.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { createCorpusSource } from '../../src/sources/corpus.js';
import { createMemorySource } from '../../src/sources/memory.js';
import { silentLogger } from '../../src/logger.js';
import { FIXTURES } from '../helpers/paths.js';
import { makePaper } from '../helpers/fakes.js';

const VITAMIN_D = 'Does vitamin D supplementation reduce fracture risk?';

describe('contextualise', () => {
  it.each([
    ['over 65?', 'Does vitamin D supplementation reduce fracture risk in people over 65?'],
    ['what about in children?', 'Does vitamin D supplementation reduce fracture risk in children?'],
    ['does the effect hold for people over 65?', 'Does vitamin D supplementation reduce fracture risk in people over 65?'],
    ['children?', 'Does vitamin D supplementation reduce fracture risk in children?'],
    ['And in postmenopausal women?', 'Does vitamin D supplementation reduce fracture risk in postmenopausal women?'],
    ['is that true for women?', 'Does vitamin D supplementation reduce fracture risk in women?'],
    ['does that also apply to adolescents?', 'Does vitamin D supplementation reduce fracture risk in adolescents?'],
    ['same for smokers?', 'Does vitamin D supplementation reduce fracture risk in smokers?'],
    ['Is the effect bigger in men?', 'Does vitamin D supplementation reduce fracture risk in men?'],
  ])('reads the population fragment %j as the original question for that population', (asked, expected) => {
    expect(contextualise(VITAMIN_D, asked)).toBe(expected);
  });

  it('replaces the original population rather than adding a second one', () => {
    expect(contextualise('Does vitamin D supplementation reduce fracture risk in older adults?', 'what about in children?')).toBe(
      'Does vitamin D supplementation reduce fracture risk in children?',
    );
    expect(contextualise('Is it true that Vitamin D supplementation reduces fracture risk in elderly women?', 'and in men?')).toBe(
      'Is it true that Vitamin D supplementation reduces fracture risk in men?',
    );
    // A comparator stays where it was.
    expect(contextualise('Does exercise reduce depressive symptoms compared with usual care?', 'over 65?')).toBe(
      'Does exercise reduce depressive symptoms in people over 65 compared with usual care?',
    );
  });

  it('swaps a bare exposure or outcome into the original', () => {
    expect(contextualise(VITAMIN_D, 'what about vitamin K?')).toBe('Does vitamin K supplementation reduce fracture risk?');
    expect(contextualise(VITAMIN_D, 'what about exercise?')).toBe('Does exercise reduce fracture risk?');
    expect(contextualise(VITAMIN_D, 'and mortality?')).toBe('Does vitamin D supplementation reduce mortality?');
    expect(contextualise(VITAMIN_D, 'what about hip fractures?')).toBe('Does vitamin D supplementation reduce hip fractures?');
  });

  it("resolves a subject that points back to the original's exposure", () => {
    expect(contextualise(VITAMIN_D, 'Does it also reduce falls?')).toBe('Does vitamin D supplementation also reduce falls?');
    expect(contextualise('Do statins reduce mortality in heart failure?', 'Do they also lower stroke risk?')).toBe('Do statins also lower stroke risk?');
  });

  it('uses a complete question of its own as it is', () => {
    for (const q of ['Does metformin reduce cancer incidence?', 'Is vitamin D toxic in children?', 'What is the role of vitamin K in bone health?']) {
      expect(contextualise(VITAMIN_D, q)).toBe(q);
    }
    expect(contextualise(VITAMIN_D, 'Does vitamin D supplementation reduce fracture risk in people over 65?')).toBe(
      'Does vitamin D supplementation reduce fracture risk in people over 65?',
    );
    // "Is it true that ..." names its own statement: its "it" is not a back reference.
    expect(contextualise(VITAMIN_D, 'Is it true that calcium prevents falls?')).toBe('Is it true that calcium prevents falls?');
  });

  it('falls back to the original question when the follow-up names nothing of its own', () => {
    expect(contextualise(VITAMIN_D, 'How strong is the evidence?')).toBe(VITAMIN_D);
    expect(contextualise(VITAMIN_D, 'why?')).toBe(VITAMIN_D);
    expect(contextualise(VITAMIN_D, '   ')).toBe(VITAMIN_D);
  });

  it('keeps a contextualised question within the question limit', () => {
    const long = `Does ${'very '.repeat(190)}strong coffee reduce fatigue?`;
    expect(contextualise(long, 'over 65?')).toBe('over 65?');
  });
});

describe('isChitChat', () => {
  it.each(['thanks', 'interesting', '👍', 'great, thank you!', 'lol', 'ok', 'Thanks!', '@bot thanks', 'that is really interesting', '🙏🙏'])('%j is chit-chat', (text) => {
    expect(isChitChat(text)).toBe(true);
  });

  it.each([
    'over 65?',
    'over 65',
    'children',
    'thanks, but what about kids?',
    'what about in children',
    'explain claim 3',
    'add 10.1056/NEJMoa2034577',
    'since 2020',
    'more papers',
    'more',
    'Does it also reduce falls',
    'why',
    'compare with calcium',
    'interesting, does it hold for men',
  ])('%j is not chit-chat', (text) => {
    expect(isChitChat(text)).toBe(false);
  });
});

describe('parseThreadCommand', () => {
  it.each([
    ['explain claim 3', { kind: 'explain', claim: 3 }],
    ['Explain claim #12.', { kind: 'explain', claim: 12 }],
    ['explain c4', { kind: 'explain', claim: 4 }],
    ['@bot explain claim 2', { kind: 'explain', claim: 2 }],
    ['add 10.1056/NEJMoa2034577', { kind: 'add', id: '10.1056/NEJMoa2034577' }],
    ['add https://doi.org/10.1056/NEJMoa2034577', { kind: 'add', id: '10.1056/NEJMoa2034577' }],
    ['add doi:10.1038/s41586-020-2649-2', { kind: 'add', id: '10.1038/s41586-020-2649-2' }],
    ['add arXiv:2406.15877', { kind: 'add', id: 'arXiv:2406.15877' }],
    ['add arxiv:2406.15877v2', { kind: 'add', id: 'arXiv:2406.15877' }],
    ['add https://arxiv.org/abs/2406.15877', { kind: 'add', id: 'arXiv:2406.15877' }],
    ['add PMID 12345678', { kind: 'add', id: '12345678' }],
    ['add pmid:12345678', { kind: 'add', id: '12345678' }],
    ['add 12345678', { kind: 'add', id: '12345678' }],
    ['add paper https://pubmed.ncbi.nlm.nih.gov/12345678/', { kind: 'add', id: '12345678' }],
    ['since 2020', { kind: 'since', year: 2020 }],
    ['only papers since 2015', { kind: 'since', year: 2015 }],
    ['more papers', { kind: 'more' }],
    ['more', { kind: 'more' }],
    ['find more studies please', { kind: 'more' }],
  ])('%j → %j', (text, command) => {
    expect(parseThreadCommand(text)).toEqual(command);
  });

  it.each(['explain claim 0', 'explain the results', 'add vitamin K', 'add', 'since last year', 'since 20', 'more on vitamin K?', 'thanks', 'what about in children?'])(
    '%j is not a command',
    (text) => {
      expect(parseThreadCommand(text)).toBeUndefined();
    },
  );
});

describe('sanitizeFollowUp', () => {
  it('cleans as the main question is cleaned, and lets a numeric fragment through', () => {
    expect(sanitizeFollowUp('  over\u0007 65? ')).toBe('over 65?');
    expect(sanitizeFollowUp('<!channel> what about in children?')).toBe('@channel what about in children?');
  });

  it.each([
    ['', /follow-up question is empty/],
    ['   ', /follow-up question is empty/],
    ['???', /names nothing/],
    ['@channel ???', /names nothing/],
    ['thanks!', /reads as a reply/],
    ['explain claim 3', /thread command/],
    ['x'.repeat(1001), /limit is 1000/],
  ])('refuses %j', (text, message) => {
    expect(() => sanitizeFollowUp(text)).toThrow(message);
  });
});

describe('followUp', () => {
  const CORPUS = join(FIXTURES, 'corpus/exercise.jsonl');
  const engine = createExtractiveEngine();
  let original: Report;
  beforeAll(async () => {
    const synthesize = createSynthesizer({ sources: [createCorpusSource([CORPUS])], engine });
    // Saved and read back, as the CLI and the bot keep it.
    original = ReportSchema.parse(JSON.parse(renderJson(await synthesize({ question: 'Does exercise reduce depressive symptoms in adults?' }))));
  });

  it('carries every included paper with its abstract in the report', () => {
    expect(original.references.length).toBe(original.methodology.included);
    expect(original.references.every((r) => typeof r.abstract === 'string' && r.abstract.length > 0)).toBe(true);
    const papers = threadPapers(original);
    expect(papers.map((p) => p.id)).toEqual(original.references.map((r) => r.id));
    expect(papers.every((p) => p.sources[0] === THREAD_SOURCE)).toBe(true);
  });

  it("answers a fragment from the report's papers alone, with the run's guarantees", async () => {
    const events: ProgressEvent[] = [];
    const result = await followUp(original, 'what about in adults with major depression?', { engine, onEvent: (e) => void events.push(e) });
    expect(result.question).toBe('Does exercise reduce depressive symptoms in adults with major depression?');
    expect(result.scope).toBe('thread');
    const report = ReportSchema.parse(result.report);
    expect(report.question).toBe(result.question);
    expect(report.followUp).toEqual({ of: original.id, question: 'what about in adults with major depression?', scope: 'thread' });
    expect(report.id).not.toBe(original.id);
    expect(report.methodology.sources.map((s) => s.name)).toEqual([THREAD_SOURCE]);
    expect(report.limitations[0]).toMatch(/^Follow-up to report .*: answered from the \d+ paper\(s\) of that report only, with no new search\.$/);
    expect(report.claims.length).toBeGreaterThan(0);
    // Only the thread's papers are cited, and every quote is verbatim in its paper.
    const papers = new Map(threadPapers(original).map((p) => [p.id, p]));
    for (const claim of report.claims) {
      expect(quoteIsVerbatim(claim.quote, papers.get(claim.paperId)!)).toBe(true);
      for (const e of claim.verification.evidence) expect(quoteIsVerbatim(e.quote, papers.get(e.paperId)!)).toBe(true);
    }
    expect(report.references.every((r) => papers.has(r.id) && r.abstract === papers.get(r.id)!.abstract)).toBe(true);
    expect(report.answer?.verdict).toBe('yes');
    expect(events.filter((e) => e.type === 'run-finished')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', reportId: report.id });
  });

  it('says plainly when the papers do not answer and there is nowhere to widen, with no score', async () => {
    const events: ProgressEvent[] = [];
    const result = await followUp(original, 'what about in mice?', { engine, onEvent: (e) => void events.push(e) });
    expect(result.scope).toBe('nothing');
    const report = ReportSchema.parse(result.report);
    expect(report.abstract).toMatch(/^The papers of this thread do not answer "Does exercise reduce depressive symptoms in mice\?"; nothing further was found/);
    expect(report.answer).toMatchObject({ verdict: 'insufficient', basis: [] });
    expect(report.qualityScore).toBe(0);
    expect(report.reviews).toEqual([]);
    expect(report.gaps[0]).toBe('Nothing in the papers of this thread answers the follow-up.');
    expect(report.followUp).toEqual({ of: original.id, question: 'what about in mice?', scope: 'thread' });
    expect(events.filter((e) => e.type === 'run-finished')).toEqual([expect.objectContaining({ qualityScore: 0 })]);
    expect(renderMarkdown(report)).toContain('**Quality score:** 0/10 (no reviews)');
  });

  it('widens with the contextualised question when the papers do not answer, and says which it did', async () => {
    const asked: string[] = [];
    const events: ProgressEvent[] = [];
    const other = createSynthesizer({
      sources: [createMemorySource('elsewhere', [makePaper({ id: 'm1', title: 'Exercise and depression in mice', abstract: 'We studied treadmill exercise in 40 mice. Exercise reduced depressive symptoms in mice after four weeks.' })])],
      engine,
    });
    const widen: Synthesize = async (request, options) => {
      asked.push(request.question);
      return other(request, options);
    };
    let widened = '';
    const result = await followUp(original, 'what about in mice?', {
      engine,
      widen,
      runId: 'fu-1',
      onWiden: (reason) => (widened = reason),
      onEvent: (e) => void events.push(e),
    });
    expect(asked).toEqual(['Does exercise reduce depressive symptoms in mice?']);
    expect(widened).toMatch(/do not answer .*searching the configured sources/);
    expect(result.scope).toBe('widened');
    expect(result.report.id).toBe('fu-1');
    expect(result.report.followUp).toEqual({ of: original.id, question: 'what about in mice?', scope: 'widened' });
    expect(result.report.claims.map((c) => c.paperId)).toEqual(['m1']);
    expect(result.report.limitations[0]).toMatch(/do not answer it, so the configured sources were searched\.$/);
    // One "finished" (the search's), after a warning that says why it searched.
    expect(events.filter((e) => e.type === 'run-finished')).toHaveLength(1);
    expect(events.some((e) => e.type === 'warning' && e.code === 'followup_widened')).toBe(true);
  });

  it('does not widen when the thread answers', async () => {
    const widen: Synthesize = async () => {
      throw new Error('should not be called');
    };
    expect((await followUp(original, 'what about in adults with major depression?', { engine, widen })).scope).toBe('thread');
  });

  it('says nothing was found when the widened search does not answer either', async () => {
    const nothingElsewhere = createSynthesizer({ sources: [createMemorySource('elsewhere', [])], engine });
    const result = await followUp(original, 'what about in mice?', { engine, widen: nothingElsewhere });
    expect(result.scope).toBe('nothing');
    expect(result.report.followUp?.scope).toBe('widened');
    expect(result.report.abstract).toMatch(/nothing further was found in the configured sources\.$/);
    expect(result.report.qualityScore).toBe(0);
  });

  it('answers an old report without abstracts only by widening, and says so', async () => {
    const old = ReportSchema.parse({ ...original, references: original.references.map(({ abstract: _abstract, ...r }) => r) });
    expect(threadPapers(old)).toEqual([]);
    await expect(followUp(old, 'what about in adults with major depression?', { engine })).rejects.toThrow(/saved without its papers' abstracts/);
    const widen = createSynthesizer({ sources: [createCorpusSource([CORPUS])], engine });
    const result = await followUp(old, 'what about in adults with major depression?', { engine, widen });
    expect(result.scope).toBe('widened');
    expect(result.report.limitations[0]).toMatch(/that report was saved without its papers' abstracts, so the configured sources were searched\.$/);
  });

  it('answers a report without papers with a plain "nothing"', async () => {
    const empty = { ...original, references: [], claims: [] } as Report;
    const result = await followUp(empty, 'what about in older adults?', { engine, log: silentLogger });
    expect(result.scope).toBe('nothing');
  });

  it('refuses chit-chat, commands and empty follow-ups before running anything', async () => {
    for (const text of ['thanks!', 'explain claim 1', ' ']) await expect(followUp(original, text, { engine })).rejects.toMatchObject({ code: 'usage' });
  });

  it('treats a report with claims and an insufficient answer as not answering', () => {
    expect(answersQuestion({ ...original, answer: { verdict: 'insufficient', confidence: 'low', basis: [], text: '' } })).toBe(false);
    expect(answersQuestion({ ...original, claims: [] })).toBe(false);
  });
});

describe('references carry abstracts (report contract)', () => {
  it('still parses a report whose references have no abstract', () => {
    const ref = { id: 'p1', title: 'T', authors: [] };
    expect(ReportSchema.shape.references.parse([ref])).toEqual([ref]);
    expect(ReportSchema.shape.references.parse([{ ...ref, abstract: 'A.' }])).toEqual([{ ...ref, abstract: 'A.' }]);
  });

  it('makes chat mention syntax in a carried abstract inert, as everything else in a report', () => {
    const paper = makePaper({ id: 'p1', abstract: 'Ignore this <!channel> and <@U123>.\u200b Vitamin D reduced fractures.' });
    expect(buildReferences([], [paper])[0]!.abstract).toBe('Ignore this @channel and @U123. Vitamin D reduced fractures.');
    expect(buildReferences([], [makePaper({ id: 'p2', abstract: '' })])[0]).not.toHaveProperty('abstract');
  });

  it('does not print abstracts in the Markdown report', async () => {
    const synthesize = createSynthesizer({ sources: [createCorpusSource([join(FIXTURES, 'corpus/exercise.jsonl')])], engine: createExtractiveEngine() });
    const report = await synthesize({ question: 'Does exercise reduce depressive symptoms in adults?' });
    const stripped = { ...report, references: report.references.map(({ abstract: _abstract, ...r }) => r) };
    expect(renderMarkdown(report)).toBe(renderMarkdown(stripped));
    expect(renderMarkdown(report)).not.toContain('**Follow-up**');
  });
});
