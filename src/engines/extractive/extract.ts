/**
 * Extraction without a model: whole sentences from the included papers that answer the question.
 * A sentence must name at least half of the question's key terms (weighted: generic words such as
 * "risk" count half); it is scored by how much of the question it covers, whether it states a finding
 * rather than background or method, and its paper's rank; sentences naming three quarters of the key
 * terms come first; claims are picked one per paper first, then a second per paper, skipping
 * near-duplicates. Never truncated: a sentence that is
 * not complete is not a candidate.
 */
import type { ExtractInput } from '../engine.js';
import type { ClaimDraft } from '../../model.js';
import { compileTerms, matchesTerm, termCoverage } from '../../text/match.js';
import { isCompleteSentence, paperSentences, stripSectionLabel } from '../../text/sentences.js';
import { termSet } from '../../text/tokens.js';
import { FINDING_CUES, NON_FINDING_CUES } from './lexicon.js';
import { sentenceRole } from './verify-model.js';

/** Most claims taken from one paper. */
export const MAX_CLAIMS_PER_PAPER = 2;
/** Least weighted share of the question's key terms a sentence must name to be a claim. */
export const MIN_KEY_COVERAGE = 0.5;
/** Two claims whose term sets overlap more than this (Jaccard) are near-duplicates. */
export const NEAR_DUPLICATE = 0.5;

interface Candidate {
  text: string;
  /** Weighted share of the key terms the sentence names (0..1). */
  keyCoverage: number;
  paperId: string;
  paperRank: number;
  stems: Set<string>;
  score: number;
}

/** Extracts up to `maxClaims` claims. Deterministic for the same input. */
export function extractClaims(input: ExtractInput): ClaimDraft[] {
  const keys = compileTerms(input.plan.keyTerms);
  const others = compileTerms(input.plan.terms.filter((t) => !input.plan.keyTerms.includes(t)));
  const totalWeight = keys.length * 2 + others.length;
  const candidates: Candidate[] = [];
  input.papers.forEach((paper, paperRank) => {
    const sentences = paperSentences(paper);
    sentences.forEach((raw, index) => {
      const text = stripSectionLabel(raw);
      const words = text.split(' ').length;
      if (words < 6 || words > 80 || text.endsWith('?') || !isCompleteSentence(text)) return;
      // Aims, designs and procedures are not findings, unless the sentence also reports one.
      if (NON_FINDING_CUES.test(text) && !FINDING_CUES.test(text)) return;
      const stems = termSet(text);
      const keyCoverage = termCoverage(keys, stems);
      if (keys.length > 0 && keyCoverage < MIN_KEY_COVERAGE) return;
      const otherHits = others.filter((m) => matchesTerm(m, stems)).length;
      const relevance = totalWeight === 0 ? 0 : (2 * keyCoverage * keys.length + otherHits) / totalWeight;
      const role = sentenceRole(raw, index, sentences.length);
      const score = relevance + 0.6 * role + 0.1 / (1 + paperRank / 5) + (/\d/.test(text) ? 0.03 : 0);
      candidates.push({ text, keyCoverage, paperId: paper.id, paperRank, stems, score });
    });
  });
  // Sentences naming three quarters of the key terms (by weight) come before the rest.
  const tier = (c: Candidate) => (c.keyCoverage >= 0.75 ? 1 : 0);
  candidates.sort((a, b) => tier(b) - tier(a) || b.score - a.score || a.paperRank - b.paperRank);

  const chosen: Candidate[] = [];
  const perPaper = new Map<string, number>();
  const fits = (c: Candidate, limit: number) =>
    (perPaper.get(c.paperId) ?? 0) < limit && !chosen.some((d) => jaccard(c.stems, d.stems) > NEAR_DUPLICATE);
  for (const limit of [1, MAX_CLAIMS_PER_PAPER]) {
    for (const c of candidates) {
      if (chosen.length >= input.maxClaims) break;
      if (chosen.includes(c) || !fits(c, limit)) continue;
      chosen.push(c);
      perPaper.set(c.paperId, (perPaper.get(c.paperId) ?? 0) + 1);
    }
  }
  chosen.sort((a, b) => tier(b) - tier(a) || b.score - a.score);
  return chosen.map((c) => ({ text: c.text, paperId: c.paperId, quote: c.text }));
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}
