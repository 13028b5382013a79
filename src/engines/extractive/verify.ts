/**
 * Verification without a model: the claim is judged against every other included paper by the
 * verifier model (`verify-model.ts`); papers that support or contradict it contribute their rationale
 * sentences as evidence.
 *
 * Verdict and confidence (documented in the README):
 * - a paper can only count when its best sentence covers at least {@link MIN_EVIDENCE_COVERAGE} of the
 *   claim's terms (it must be about the same thing, not merely the same topic);
 * - a paper supports (contradicts) the claim when the model gives that stance probability >= t(m),
 *   where m is the number of papers compared: t(1) = 0.5 and t rises towards 0.65 as m grows,
 *   because comparing one claim with many papers invites chance matches (a multiple-comparison guard);
 * - S = p1 + (1 - p1) * 0.3 * min(2, n - 1), where p1 is the strongest supporting paper's probability
 *   and n the number of supporting papers (corroboration raises confidence, modestly); C likewise;
 * - the larger of S and C wins; confidence = max(S, C) * (1 - min(S, C) / 2), so mixed evidence
 *   lowers confidence;
 * - a verdict needs confidence >= 0.5, otherwise the claim is `insufficient` and its confidence
 *   (< 0.5) is the strongest single-paper probability found.
 */
import type { VerifyInput } from '../engine.js';
import type { Evidence, Paper, Verification } from '../../model.js';
import { paperSentences } from '../../text/sentences.js';
import { compileCoreFacets, facetMatch, parseFacets, type CoreFacets } from './facets.js';
import { compareScaling, extractFindings, sameQuantity, sharedStep, type ScalingSeries } from './findings.js';
import { analyse, UNIFORM_WEIGHT } from './stance.js';
import { assess, preparePaper, type PreparedPaper } from './verify-model.js';

/** Share of the claim's terms the best sentence of a paper must cover for the paper to count. */
export const MIN_EVIDENCE_COVERAGE = 0.25;
/** Most evidence items kept per stance. */
export const MAX_EVIDENCE_PER_STANCE = 3;

/** The probability one paper's stance needs when `compared` papers are compared with the claim. */
export function paperThreshold(compared: number): number {
  return 0.5 + 0.15 * (1 - 1 / Math.max(1, compared));
}

/** Papers whose analysis a cache keeps across runs (least recently used go first). */
export const PAPER_CACHE_SIZE = 4000;

/**
 * Caches each paper's analysis (sentences, roles, stems) across the claims of a run and across runs.
 * Keyed by the paper's id and text, since sources hand out a fresh object for every search.
 */
export function createPaperCache(size = PAPER_CACHE_SIZE): (paper: Paper) => PreparedPaper {
  const cache = new Map<string, PreparedPaper>();
  return (paper) => {
    const key = `${paper.id}\u0000${paper.title}\u0000${paper.abstract.length}\u0000${paper.sentences?.length ?? 0}`;
    let prepared = cache.get(key);
    if (prepared) {
      cache.delete(key);
    } else {
      prepared = preparePaper(paper.title, paperSentences(paper));
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(key, prepared);
    return prepared;
  };
}

interface Judged {
  paper: Paper;
  p: number;
  quotes: string[];
}

/** Verifies one claim against the other papers. */
export function verifyClaim(input: VerifyInput, prepare: (paper: Paper) => PreparedPaper): Verification {
  const claim = analyse(input.claim.text);
  const alignment = questionFacets(input.question);
  const judged: (Judged & { support: number; contradict: number })[] = [];
  for (const paper of input.papers) {
    if (paper.id === input.claim.paperId) continue;
    const prepared = prepare(paper);
    if (prepared.sentences.length === 0) continue;
    const { probabilities, rationale, sentenceFeatures } = assess(claim, prepared, UNIFORM_WEIGHT);
    if ((sentenceFeatures[0]?.coverage ?? 0) < MIN_EVIDENCE_COVERAGE) continue;
    // Aligned before judged: when the question names an exposure and an outcome, evidence must be a
    // sentence about that same exposure and outcome, or its direction says nothing about the claim.
    const quotes = rationale.filter((i) => !alignment || aligned(alignment, prepared.sentences[i]!.stemSet)).map((i) => prepared.sentences[i]!.text);
    if (quotes.length === 0) continue;
    judged.push({ paper, p: 0, support: probabilities.SUPPORT, contradict: probabilities.CONTRADICT, quotes });
  }
  // The same quantity measured at the same sizes decides by the numbers: one paper's gain from 34B to
  // 70B and another's flat result are a contradiction, whatever the words say.
  const claimSeries = seriesOf(input.claim.paperId, [input.claim.text]);
  if (claimSeries.length > 0) {
    for (const paper of input.papers) {
      if (paper.id === input.claim.paperId) continue;
      const step = numericStance(claimSeries, prepare(paper), paper.id);
      if (!step) continue;
      const existing = judged.find((j) => j.paper === paper);
      const entry = { paper, p: 0, support: step.agree ? NUMERIC_STANCE : 0, contradict: step.agree ? 0 : NUMERIC_STANCE, quotes: [step.quote] };
      if (existing) Object.assign(existing, entry);
      else judged.push(entry);
    }
  }
  const threshold = paperThreshold(judged.length);
  const supports: Judged[] = [];
  const contradicts: Judged[] = [];
  let strongest = 0;
  for (const j of judged) {
    strongest = Math.max(strongest, j.support, j.contradict);
    if (j.support >= threshold && j.support >= j.contradict) supports.push({ ...j, p: j.support });
    else if (j.contradict >= threshold) contradicts.push({ ...j, p: j.contradict });
  }
  supports.sort((a, b) => b.p - a.p);
  contradicts.sort((a, b) => b.p - a.p);
  const combine = (list: Judged[]) => {
    const p1 = list[0]?.p ?? 0;
    return p1 + (1 - p1) * 0.3 * Math.min(2, Math.max(0, list.length - 1));
  };
  const s = combine(supports);
  const c = combine(contradicts);
  const toEvidence = (list: Judged[], stance: Evidence['stance']): Evidence[] =>
    list.flatMap((j) => j.quotes.map((quote) => ({ paperId: j.paper.id, quote, stance }))).slice(0, MAX_EVIDENCE_PER_STANCE);
  const evidence = [...toEvidence(supports, 'supports'), ...toEvidence(contradicts, 'contradicts')];
  const confidence = Math.max(s, c) * (1 - Math.min(s, c) / 2);
  if (confidence >= 0.5 && s !== c) {
    return { verdict: s > c ? 'supported' : 'contradicted', confidence: round2(confidence), evidence };
  }
  return { verdict: 'insufficient', confidence: round2(Math.min(strongest, 0.49)), evidence };
}

/** Probability given to a stance read off the numbers of the same quantity at the same sizes. */
const NUMERIC_STANCE = 0.8;

function seriesOf(paperId: string, sentences: readonly string[]): { series: ScalingSeries; sentence: string }[] {
  return sentences.flatMap((sentence) => compareScaling(extractFindings({ paperId, sentence })).map((series) => ({ series, sentence })));
}

/** A step of the claim's series that another paper also reports for the same quantity, and whether the two agree. */
function numericStance(claim: { series: ScalingSeries }[], paper: PreparedPaper, paperId: string): { agree: boolean; quote: string } | undefined {
  const theirs = seriesOf(paperId, paper.sentences.filter((s) => /\d/.test(s.text)).map((s) => s.text));
  for (const { series: a } of claim) {
    for (const { series: b, sentence } of theirs) {
      const step = sameQuantity(a, b) ? sharedStep(a, b) : undefined;
      if (step) return { agree: step.a.change === step.b.change, quote: sentence };
    }
  }
  return undefined;
}

const facetCache = new Map<string, CoreFacets | undefined>();

/** The question's exposure and outcome, when it names both (an effect, association or comparison question). */
function questionFacets(question: string): CoreFacets | undefined {
  if (!facetCache.has(question)) {
    const facets = parseFacets(question);
    const core = compileCoreFacets(facets);
    // A quoted statement's facets are parsed less reliably than a question's: no gate on them.
    const usable = facets.kind !== 'open' && !facets.fromStatement && (core.compared.length > 0 || (core.exposure !== undefined && core.outcome !== undefined));
    if (facetCache.size > 1000) facetCache.clear();
    facetCache.set(question, usable ? core : undefined);
  }
  return facetCache.get(question);
}

function aligned(core: CoreFacets, stems: ReadonlySet<string>): boolean {
  const m = facetMatch(core, stems);
  return core.compared.length > 0 ? m.compared >= 1 && m.outcome : m.exposure && m.outcome;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
