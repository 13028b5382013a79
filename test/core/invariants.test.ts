import { describe, expect, it } from 'vitest';
import type { Claim } from '../../src/model.js';
import {
  aggregateScore,
  buildReferences,
  checkClaims,
  findGaps,
  quoteIsVerbatim,
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

  it('caps the score at 5 with gaps and gives 0 without claims', () => {
    const reviews = [
      { reviewer: 'a', score: 9, rationale: '' },
      { reviewer: 'b', score: 8, rationale: '' },
    ];
    expect(aggregateScore(reviews, [], 3)).toBe(8.5);
    expect(aggregateScore(reviews, ['gap'], 3)).toBe(5);
    expect(aggregateScore(reviews, [], 0)).toBe(0);
  });
});
