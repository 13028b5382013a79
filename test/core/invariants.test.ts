import { describe, expect, it } from 'vitest';
import type { Answer, Claim } from '../../src/model.js';
import {
  aggregateScore,
  buildReferences,
  checkClaims,
  checkFindings,
  findGaps,
  MAX_SCORE_WITH_GAPS,
  MAX_SCORE_WITHOUT_CLAIMS,
  quoteIsVerbatim,
  reconcileAnswer,
  reconcileVerification,
} from '../../src/pipeline/invariants.js';
import { makePaper } from '../helpers/fakes.js';

const a = makePaper({ id: 'a', title: 'Exercise and mood', abstract: 'Exercise reduced depressive   symptoms in adults. It was cheap.' });
const b = makePaper({ id: 'b', abstract: 'Exercise did not reduce depressive symptoms in older adults.' });
const byId = new Map([a, b].map((p) => [p.id, p]));

describe('verbatim quotes', () => {
  it('finds a quote after whitespace normalisation, in the abstract or the title', () => {
    expect(quoteIsVerbatim('Exercise reduced depressive symptoms\nin adults.', a)).toBe(true);
    expect(quoteIsVerbatim('Exercise and mood', a)).toBe(true);
    expect(quoteIsVerbatim('Exercise reduced depressive symptoms in children.', a)).toBe(false);
    expect(quoteIsVerbatim('exercise reduced depressive symptoms in adults.', a)).toBe(false);
    expect(quoteIsVerbatim('   ', a)).toBe(false);
  });

  it('drops claims with a fabricated quote, an unknown paper, a fragment or a duplicate, saying why', () => {
    const { accepted, rejected } = checkClaims(
      [
        { text: 'Exercise reduced depressive symptoms in adults.', paperId: 'a', quote: 'Exercise reduced depressive symptoms in adults.' },
        { text: 'Exercise cures depression in everyone.', paperId: 'a', quote: 'Exercise cures depression in everyone.' },
        { text: 'Exercise reduced depressive symptoms in adults.', paperId: 'zzz', quote: 'Exercise reduced depressive symptoms in adults.' },
        { text: 'reduced depressive symptoms in adu', paperId: 'a', quote: 'reduced depressive symptoms in adu' },
        { text: 'Exercise reduced depressive  symptoms in adults.', paperId: 'a', quote: 'Exercise reduced depressive symptoms in adults.' },
      ],
      byId,
    );
    expect(accepted).toHaveLength(1);
    expect(rejected.map((r) => r.reason)).toEqual([
      'quote not found in the cited paper',
      'unknown paper',
      'not a complete sentence',
      'duplicate',
    ]);
  });
});

describe('reconcileVerification', () => {
  const claim = { text: 'Exercise reduced depressive symptoms in adults.', paperId: 'a', quote: 'Exercise reduced depressive symptoms in adults.' };

  it('never shows "supported" with a confidence under 0.5', () => {
    const { verification } = reconcileVerification(
      { verdict: 'supported', confidence: 0.2, evidence: [{ paperId: 'b', quote: 'Exercise did not reduce depressive symptoms in older adults.', stance: 'supports' }] },
      claim,
      byId,
    );
    expect(verification.verdict).toBe('insufficient');
    expect(verification.confidence).toBeLessThan(0.5);
  });

  it('makes "insufficient" carry a confidence under 0.5', () => {
    const { verification } = reconcileVerification({ verdict: 'insufficient', confidence: 0.9, evidence: [] }, claim, byId);
    expect(verification).toEqual({ verdict: 'insufficient', confidence: 0.49, evidence: [] });
  });

  it('drops evidence from the claim’s own paper, unknown papers and non-verbatim quotes, then needs evidence for a verdict', () => {
    const { verification, droppedEvidence } = reconcileVerification(
      {
        verdict: 'contradicted',
        confidence: 0.9,
        evidence: [
          { paperId: 'a', quote: 'It was cheap.', stance: 'contradicts' },
          { paperId: 'nope', quote: 'Anything.', stance: 'contradicts' },
          { paperId: 'b', quote: 'Exercise never works.', stance: 'contradicts' },
        ],
      },
      claim,
      byId,
    );
    expect(droppedEvidence).toBe(3);
    expect(verification.verdict).toBe('insufficient');
    expect(verification.evidence).toEqual([]);
  });

  it('keeps a consistent verdict as it is', () => {
    const evidence = [{ paperId: 'b', quote: 'Exercise did not reduce depressive symptoms in older adults.', stance: 'contradicts' as const }];
    const { verification } = reconcileVerification({ verdict: 'contradicted', confidence: 0.734, evidence }, claim, byId);
    expect(verification).toEqual({ verdict: 'contradicted', confidence: 0.73, evidence });
  });
});

describe('references, gaps and score', () => {
  const claims: Claim[] = [
    {
      id: 'c1',
      text: 'Exercise reduced depressive symptoms in adults.',
      paperId: 'b',
      quote: 'x',
      verification: { verdict: 'supported', confidence: 0.8, evidence: [{ paperId: 'a', quote: 'y', stance: 'supports' }] },
    },
  ];

  it('lists every included paper, cited ones first', () => {
    const refs = buildReferences(claims, [a, b, makePaper({ id: 'c' })]);
    expect(refs.map((r) => r.id)).toEqual(['b', 'a', 'c']);
  });

  it('names key terms no claim addresses, distinguishing unretrieved from unused', () => {
    const gaps = findGaps(['exercise', 'BigCodeBench', 'cheap'], claims, [a, b]);
    expect(gaps).toEqual([
      'No retrieved source addresses "BigCodeBench".',
      '"cheap" is mentioned in 1 included paper(s) but in none of the extracted claims.',
    ]);
  });

  it('caps the score at 5 with gaps and at 3.5 without claims', () => {
    const reviews = [
      { reviewer: 'a', score: 9, rationale: '' },
      { reviewer: 'b', score: 8, rationale: '' },
    ];
    expect(aggregateScore(reviews, [], 3)).toBe(8.5);
    expect(aggregateScore(reviews, ['gap'], 3)).toBe(5);
    // A claimless report may be honest but answers nothing: capped, never above a useful report.
    expect(aggregateScore(reviews, [], 0)).toBe(MAX_SCORE_WITHOUT_CLAIMS);
    expect(MAX_SCORE_WITHOUT_CLAIMS).toBeLessThan(MAX_SCORE_WITH_GAPS);
    // Under the cap the mean stands: 3, 3 and 0 (nothing read) give 2.
    const honest = [3, 3, 0].map((score, i) => ({ reviewer: `r${i}`, score, rationale: '' }));
    expect(aggregateScore(honest, ['gap'], 0)).toBe(2);
    expect(aggregateScore([], [], 0)).toBe(0);
  });
});

describe('the answer and findings the core checks', () => {
  const claim = (id: string, paperId: string, verdict: Claim['verification']['verdict'], evidenceFrom: string[] = []): Claim => ({
    id,
    paperId,
    text: `Claim ${id}.`,
    quote: `Claim ${id}.`,
    verification: {
      verdict,
      confidence: verdict === 'insufficient' ? 0.3 : 0.8,
      evidence: evidenceFrom.map((p) => ({ paperId: p, quote: 'q', stance: verdict === 'contradicted' ? ('contradicts' as const) : ('supports' as const) })),
    },
  });
  const yes = (basis: string[], confidence: Answer['confidence'] = 'high'): Answer => ({ verdict: 'yes', confidence, basis, text: 'Yes: it does [1].' });

  it('keeps a yes resting on a standing claim, dropping basis ids that are not claims', () => {
    const { answer, changed } = reconcileAnswer(yes(['c1', 'ghost']), [claim('c1', 'a', 'supported', ['b'])]);
    expect(answer).toEqual({ verdict: 'yes', confidence: 'high', basis: ['c1'], text: 'Yes: it does [1].' });
    expect(changed).toBe(true);
  });

  it('turns a yes resting only on contradicted claims into insufficient, in its own words', () => {
    const { answer, changed } = reconcileAnswer(yes(['c1']), [claim('c1', 'a', 'contradicted', ['b'])], [{ id: 'a', title: 'A', authors: [] }]);
    expect(changed).toBe(true);
    expect(answer.verdict).toBe('insufficient');
    expect(answer.text).toMatch(/^Insufficient evidence: .*\[1\]\.$/);
  });

  it('does not keep high confidence on a verdict it corrected', () => {
    const { answer } = reconcileAnswer(yes(['c1']), [claim('c1', 'a', 'contradicted', ['b'])]);
    expect(answer.verdict).toBe('insufficient');
    expect(answer.confidence).not.toBe('high');
  });

  it('turns a yes resting partly on contradicted claims into mixed', () => {
    const claims = [claim('c1', 'a', 'supported', ['b']), claim('c2', 'b', 'contradicted', ['a'])];
    const { answer } = reconcileAnswer(yes(['c1', 'c2']), claims);
    expect(answer.verdict).toBe('mixed');
    expect(answer.text).toMatch(/^Mixed: /);
  });

  it('never claims high confidence without independent support from a second paper', () => {
    expect(reconcileAnswer(yes(['c1']), [claim('c1', 'a', 'insufficient')]).answer.confidence).toBe('low');
    expect(reconcileAnswer(yes(['c1']), [claim('c1', 'a', 'supported', ['b'])]).answer.confidence).toBe('high');
    const nothing: Answer = { verdict: 'insufficient', confidence: 'high', basis: [], text: 'Insufficient evidence.' };
    expect(reconcileAnswer(nothing, []).answer.confidence).toBe('medium');
  });

  it('keeps only findings whose value is verbatim in an included paper', () => {
    const paper = makePaper({ id: 'p', abstract: 'Pass@1 rose from 37.1% at 34B to 44.0% at 70B.' });
    const { findings, dropped } = checkFindings(
      [
        { paperId: 'p', subject: 'CodeLlama', measure: 'pass@1', value: '44.0%', condition: '70B' },
        { paperId: 'p', subject: 'CodeLlama', measure: 'pass@1', value: '44%' },
        { paperId: 'p', subject: 'CodeLlama', measure: 'pass@1', value: '37.1%', quote: 'Pass@1 rose sharply.' },
        { paperId: 'nope', subject: 'CodeLlama', measure: 'pass@1', value: '44.0%' },
        { paperId: 'p', subject: 'CodeLlama', measure: 'pass@1', value: '44.0%', condition: '70B' },
      ],
      new Map([[paper.id, paper]]),
    );
    expect(findings).toEqual([{ paperId: 'p', subject: 'CodeLlama', measure: 'pass@1', value: '44.0%', condition: '70B' }]);
    expect(dropped).toBe(3);
  });
});
