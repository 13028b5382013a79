import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import { answerLean, sentenceDirection } from '../../src/engines/extractive/direction.js';
import { compileCoreFacets, parseFacets } from '../../src/engines/extractive/facets.js';
import { NOTHING_FOUND_SCORE } from '../../src/engines/extractive/review.js';
import { paperThreshold } from '../../src/engines/extractive/verify.js';
import { ReportSchema } from '../../src/model.js';
import { MAX_SCORE_WITHOUT_CLAIMS, quoteIsVerbatim } from '../../src/pipeline/invariants.js';
import { createSynthesizer } from '../../src/pipeline/synthesize.js';
import { createCorpusSource } from '../../src/sources/corpus.js';
import { isCompleteSentence } from '../../src/text/sentences.js';
import { termSet } from '../../src/text/tokens.js';
import { FIXTURES, SCIFACT } from '../helpers/paths.js';

const scifact = createCorpusSource([SCIFACT.corpus]);
const synthesize = createSynthesizer({ sources: [scifact], engine: createExtractiveEngine() });

describe('the extractive engine on SciFact', () => {
  it('answers with whole, verbatim, on-topic sentences and consistent verdicts', async () => {
    const corpus = await scifact.load();
    const byId = new Map(corpus.papers.map((p) => [p.id, p]));
    const report = await synthesize({ question: 'Does vitamin D supplementation reduce fracture risk?' });
    expect(ReportSchema.safeParse(report).success).toBe(true);
    // Only findings on vitamin D and fracture are claims now; SciFact holds few of them.
    expect(report.claims.length).toBeGreaterThan(0);
    for (const claim of report.claims) {
      expect(isCompleteSentence(claim.text), claim.text).toBe(true);
      expect(claim.text).toBe(claim.quote);
      expect(quoteIsVerbatim(claim.quote, byId.get(claim.paperId)!)).toBe(true);
      // Every claim names the outcome of the question. (That every claim also names the exposure is
      // checked in answer-quality.test.ts, where it currently fails: the judged finding bypasses it.)
      expect(termSet(claim.text).has('fractur'), claim.text).toBe(true);
    }
    // Some claim names the subject of the question.
    expect(report.claims.some((c) => termSet(c.text).has('vitamin'))).toBe(true);
    expect(report.reviews.map((r) => r.reviewer)).toEqual(['coverage', 'evidence', 'sources']);
    for (const r of report.reviews) {
      expect(r.rationale).toMatch(/^[A-Z0-9"].*\.$/);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(10);
    }
    expect(report.abstract).toMatch(/\[\d+(, \d+)*\]/);
  });

  it('is deterministic: the same question gives the same report content', async () => {
    const q = 'Does ART reduce HIV transmission?';
    const [a, b] = [await synthesize({ question: q }), await synthesize({ question: q })];
    const strip = (r: typeof a) => ({ ...r, id: '', createdAt: '', timings: { totalMs: 0, stages: {} } });
    expect(strip(a)).toEqual(strip(b));
  });

  it('says plainly that an off-corpus question cannot be answered', async () => {
    const report = await synthesize({ question: 'Does scaling Code Llama from 7B to 70B improve pass@1 on BigCodeBench?' });
    expect(report.claims).toEqual([]);
    // Honest but empty: the coverage and evidence reviewers give the nothing-found score, and the
    // aggregate stays at or under the cap for a claimless report.
    expect(report.reviews.filter((r) => r.reviewer !== 'sources').map((r) => r.score)).toEqual([NOTHING_FOUND_SCORE, NOTHING_FOUND_SCORE]);
    expect(report.qualityScore).toBeLessThanOrEqual(MAX_SCORE_WITHOUT_CLAIMS);
    expect(report.answer?.verdict).toBe('insufficient');
    expect(report.gaps).toEqual(expect.arrayContaining(['No retrieved source addresses "BigCodeBench".', 'No retrieved source addresses "Code Llama".']));
  });
});

describe('verification on a small corpus', () => {
  it('supports a claim restated by another paper, with that paper as evidence', async () => {
    const report = await createSynthesizer({
      sources: [createCorpusSource([join(FIXTURES, 'corpus/exercise.jsonl')])],
      engine: createExtractiveEngine(),
    })({ question: 'Does exercise reduce depressive symptoms in adults?' });
    const supported = report.claims.filter((c) => c.verification.verdict === 'supported');
    expect(supported.length).toBeGreaterThan(0);
    for (const c of supported) {
      expect(c.verification.confidence).toBeGreaterThanOrEqual(0.5);
      expect(c.verification.evidence.some((e) => e.stance === 'supports' && e.paperId !== c.paperId)).toBe(true);
    }
    // The method sentence ("We enrolled 150 older adults ...") is not a claim.
    expect(report.claims.some((c) => /^We enrolled/.test(c.text))).toBe(false);
  });

  it('asks more of each paper when a claim is compared with many', () => {
    expect(paperThreshold(1)).toBe(0.5);
    expect(paperThreshold(10)).toBeGreaterThan(paperThreshold(2));
    expect(paperThreshold(1000)).toBeLessThan(0.66);
  });

  const facets = parseFacets('Does exercise reduce depressive symptoms?');
  const core = compileCoreFacets(facets);
  const lean = (sentence: string) => answerLean(facets.direction, sentenceDirection(sentence, core).sign);

  it('reads a finding that states the asked effect as yes', () => {
    expect(lean('Exercise reduced depressive symptoms in adults.')).toBe(1);
  });

  it('reads a null or opposite finding as no, and a sentence without a direction as undecided', () => {
    expect(lean('Exercise did not reduce depressive symptoms in older adults.')).toBe(-1);
    expect(lean('Exercise increased depressive symptoms in athletes.')).toBe(-1);
    expect(lean('Depressive symptoms were measured with the PHQ-9.')).toBeUndefined();
  });
});
