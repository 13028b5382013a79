/**
 * Screening and ranking the unique papers: a paper is excluded when it has no usable abstract, falls
 * outside the requested years, or is off topic. With the question's facets (`Plan.facets`), on topic
 * means naming the exposure (or one of the things compared); a quoted statement (`Is it true that`)
 * is parsed less reliably, so its exposure or its outcome will do. Without facets, a paper must name
 * 30% of the key terms. Coverage is weighed by how specific each term is (background IDF), so that
 * "risk", "models" or "accuracy" cannot carry a paper through. The rest are ranked by a blend of
 * lexical relevance over the pool, key-term coverage and the source's own rank.
 */
import type { Plan } from '../engines/engine.js';
import type { Paper } from '../model.js';
import { createLexicalRanker } from '../rank/lexical-ranker.js';
import { compileCoreFacets, facetMatch, type CoreFacets } from '../engines/extractive/facets.js';
import { termIdf } from '../text/idf.js';
import { compileTerms, matchesTerm, type TermMatcher } from '../text/match.js';
import { paperSentences } from '../text/sentences.js';
import { termSet } from '../text/tokens.js';

/** Least weighted share of the key terms a paper's title and abstract must name to pass screening. */
export const MIN_PAPER_COVERAGE = 0.3;

/** Why a paper was excluded at screening. */
export type ExclusionReason = 'no abstract' | 'outside the year range' | 'off-topic';

/** Screening outcome: the screened papers, best first, and counts per exclusion reason. */
export interface ScreenResult {
  screened: Paper[];
  excluded: Partial<Record<ExclusionReason, number>>;
}

/** Screens and ranks `papers` for the question's plan. */
export function screenPapers(
  papers: readonly Paper[],
  plan: Plan,
  range: { yearFrom?: number | undefined; yearTo?: number | undefined } = {},
): ScreenResult {
  const excluded: Partial<Record<ExclusionReason, number>> = {};
  const exclude = (reason: ExclusionReason) => (excluded[reason] = (excluded[reason] ?? 0) + 1);
  const matchers = compileTerms(plan.keyTerms.length > 0 ? plan.keyTerms : plan.terms);
  const weights = matchers.map((m) => termIdf(m.term));
  const core = plan.facets ? compileCoreFacets(plan.facets) : undefined;
  const facetGate = core && (core.exposure || core.compared.length > 0) ? core : undefined;
  const kept: { paper: Paper; coverage: number }[] = [];
  for (const paper of papers) {
    if (paperSentences(paper).filter((s) => s.split(' ').length >= 4).length === 0) {
      exclude('no abstract');
      continue;
    }
    if (
      paper.year !== undefined &&
      ((range.yearFrom !== undefined && paper.year < range.yearFrom) || (range.yearTo !== undefined && paper.year > range.yearTo))
    ) {
      exclude('outside the year range');
      continue;
    }
    const words = termSet(`${paper.title} ${paper.abstract}`);
    const coverage = weightedCoverage(matchers, weights, words);
    const offTopic = facetGate
      ? !onTopicPaper(facetGate, words, plan.facets?.fromStatement === true)
      : matchers.length > 0 && (!matchers.some((m) => matchesTerm(m, words)) || coverage < MIN_PAPER_COVERAGE);
    if (offTopic) {
      exclude('off-topic');
      continue;
    }
    kept.push({ paper, coverage });
  }
  if (kept.length === 0) return { screened: [], excluded };

  const ranker = createLexicalRanker(kept.map((k) => k.paper));
  const lexical = new Map(ranker.search(plan.query, kept.length).map((h) => [h.index, h.score]));
  const maxLexical = Math.max(...lexical.values(), 1e-9);
  // The source's own order is a useful signal (it ranked against the full database, we only see a pool).
  const rankInSource = new Map<Paper, number>();
  const bySource = new Map<string, Paper[]>();
  for (const { paper } of kept) {
    const source = paper.sources[0] ?? '';
    if (!bySource.has(source)) bySource.set(source, []);
    bySource.get(source)!.push(paper);
  }
  for (const list of bySource.values()) list.forEach((p, i) => rankInSource.set(p, i));

  const scored = kept.map(({ paper, coverage }, i) => {
    const rank = rankInSource.get(paper) ?? 0;
    const score = 0.5 * ((lexical.get(i) ?? 0) / maxLexical) + 0.3 * coverage + 0.2 / (1 + rank / 10);
    return { paper, score, i };
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return { screened: scored.map((s) => s.paper), excluded };
}

function weightedCoverage(matchers: readonly TermMatcher[], weights: readonly number[], words: ReadonlySet<string>): number {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return 1;
  return matchers.reduce((s, m, i) => s + (matchesTerm(m, words) ? weights[i]! : 0), 0) / total;
}

function onTopicPaper(core: CoreFacets, words: ReadonlySet<string>, fromStatement: boolean): boolean {
  const m = facetMatch(core, words);
  if (core.compared.length > 0) return m.compared >= 1;
  return fromStatement ? m.exposure || (core.outcome !== undefined && m.outcome) : m.exposure;
}
