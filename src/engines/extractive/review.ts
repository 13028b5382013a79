/**
 * Review without a model: three reviewers with distinct rubrics, each scoring 0-10 with a one-sentence
 * rationale computed from the run. The core aggregates them (mean; capped at 5 with coverage gaps).
 * Only on-topic claims count (claims naming the question's exposure and outcome, `facets.ts`): an
 * off-topic claim adds nothing and costs coverage, so a report of off-topic claims scores below an
 * honest report that found nothing (which says so plainly and asserts nothing unsupported: 3 from
 * coverage and from evidence).
 * - coverage: how many of the question's facets (or key terms) the on-topic claims address;
 * - evidence: how many on-topic claims independent evidence supports, how confidently, and any contradictions;
 * - sources: how many distinct papers, venues, years and databases stand behind the on-topic claims.
 */
import type { ReviewInput } from '../engine.js';
import type { Review } from '../../model.js';
import { compileTerms, matchesTerm } from '../../text/match.js';
import { termSet } from '../../text/tokens.js';
import type { Claim } from '../../model.js';
import { compileCoreFacets, facetMatch, isOnTopic } from './facets.js';

/** Score of the coverage and evidence reviewers for a report with no claim: honest, but it answers nothing. */
export const NOTHING_FOUND_SCORE = 3;

/** The claims that name the question's exposure and outcome (all claims when the question has no facets). */
export function onTopicClaims(input: Pick<ReviewInput, 'plan' | 'claims'>): Claim[] {
  const facets = input.plan.facets;
  if (!facets) return input.claims;
  const core = compileCoreFacets(facets);
  if (!core.exposure && core.compared.length === 0) return input.claims;
  return input.claims.filter((c) => isOnTopic(core, termSet(c.text)));
}

const clamp = (x: number) => Math.round(Math.min(10, Math.max(0, x)) * 10) / 10;

/** The coverage reviewer: share of key terms addressed, penalised for very few claims. */
export function reviewCoverage(input: ReviewInput): Review {
  if (input.claims.length === 0) {
    return { reviewer: 'coverage', score: NOTHING_FOUND_SCORE, rationale: 'No claim: the report says plainly that the retrieved papers do not answer the question.' };
  }
  const onTopic = onTopicClaims(input);
  const offTopic = input.claims.length - onTopic.length;
  const core = input.plan.facets ? compileCoreFacets(input.plan.facets) : undefined;
  if (core && (core.exposure || core.compared.length > 0)) {
    // Facets named by the on-topic claims, their evidence, or (for the population) the papers they quote.
    const cited = new Set(onTopic.map((c) => c.paperId));
    const paperText = input.papers.filter((p) => cited.has(p.id)).map((p) => `${p.title} ${p.abstract}`);
    const words = termSet(onTopic.flatMap((c) => [c.text, ...c.verification.evidence.map((e) => e.quote)]).join(' '));
    const named = facetMatch(core, words);
    const population = core.population ? facetMatch(core, termSet([...paperText, ...words].join(' '))).population : true;
    const parts = [
      { name: 'exposure', ok: core.compared.length > 0 ? named.compared > 0 : named.exposure },
      { name: core.compared.length > 0 ? 'measure' : 'outcome', ok: core.outcome ? named.outcome : true },
      { name: 'population', ok: population },
    ];
    const share = onTopic.length === 0 ? 0 : parts.filter((p) => p.ok).length / parts.length;
    const score = clamp(10 * share * (0.7 + 0.3 * Math.min(1, onTopic.length / 3)) - 3 * (offTopic / input.claims.length));
    const missing = parts.filter((p) => !p.ok).map((p) => p.name);
    return {
      reviewer: 'coverage',
      score,
      rationale:
        `${onTopic.length} of ${input.claims.length} claims are about the question` +
        (missing.length ? `; the ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not addressed.` : ', and they address every part of it.'),
    };
  }
  const keys = compileTerms(input.plan.keyTerms);
  const words = termSet(input.claims.map((c) => c.text).join(' '));
  const addressed = keys.filter((m) => matchesTerm(m, words));
  const share = keys.length === 0 ? (input.claims.length > 0 ? 1 : 0) : addressed.length / keys.length;
  const depth = Math.min(1, input.claims.length / 4);
  const score = input.claims.length === 0 ? 0 : clamp(10 * share * (0.6 + 0.4 * depth));
  const missing = keys.filter((m) => !addressed.includes(m)).map((m) => `"${m.term}"`);
  const rationale =
    input.claims.length === 0
      ? 'No claim addresses the question.'
      : missing.length === 0
        ? `The ${input.claims.length} claims address every key term of the question.`
        : `The claims address ${addressed.length} of ${keys.length} key terms; ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not addressed.`;
  return { reviewer: 'coverage', score, rationale };
}

/** The evidence reviewer: supported share weighted by confidence, minus contradictions. */
export function reviewEvidence(input: ReviewInput): Review {
  if (input.claims.length === 0) return { reviewer: 'evidence', score: NOTHING_FOUND_SCORE, rationale: 'Nothing is asserted, so nothing unsupported is asserted.' };
  const claims = onTopicClaims(input);
  const n = claims.length;
  if (n === 0) return { reviewer: 'evidence', score: 0, rationale: 'No claim is about the question, so no evidence bears on it.' };
  const supported = claims.filter((c) => c.verification.verdict === 'supported');
  const contradicted = claims.filter((c) => c.verification.verdict === 'contradicted');
  const meanConfidence = supported.reduce((s, c) => s + c.verification.confidence, 0) / Math.max(1, supported.length);
  const score = clamp(2 + 8 * (supported.length / n) * meanConfidence - 3 * (contradicted.length / n));
  const rationale = `${supported.length} of ${n} claims are supported by independent evidence${
    supported.length ? ` (mean confidence ${meanConfidence.toFixed(2)})` : ''
  }, ${contradicted.length} contradicted and ${n - supported.length - contradicted.length} without sufficient evidence.`;
  return { reviewer: 'evidence', score, rationale };
}

/** The sources reviewer: distinct papers, venues, years and databases behind the claims. */
export function reviewSources(input: ReviewInput): Review {
  const claims = onTopicClaims(input);
  if (claims.length === 0) {
    const searched = Math.min(1, input.papers.length / 10);
    return input.claims.length === 0
      ? { reviewer: 'sources', score: clamp(4 * searched), rationale: `${input.papers.length} included paper(s) were read; none states a finding on the question.` }
      : { reviewer: 'sources', score: 0, rationale: 'No paper contributed an on-topic claim.' };
  }
  const cited = new Set(claims.flatMap((c) => [c.paperId, ...c.verification.evidence.map((e) => e.paperId)]));
  const papers = input.papers.filter((p) => cited.has(p.id));
  const venues = new Set(papers.map((p) => p.venue?.toLowerCase()).filter(Boolean));
  const years = papers.map((p) => p.year).filter((y): y is number => y !== undefined);
  const databases = new Set(papers.flatMap((p) => p.sources));
  const withIds = papers.filter((p) => p.doi || p.url).length;
  const paperScore = Math.min(1, papers.length / 8);
  const venueScore = papers.length === 0 ? 0 : venues.size === 0 ? 0.3 : Math.min(1, venues.size / Math.max(3, papers.length * 0.6));
  const yearSpan = years.length ? Math.max(...years) - Math.min(...years) : 0;
  const yearScore = years.length === 0 ? 0.3 : Math.min(1, 0.4 + yearSpan / 15);
  const linkScore = papers.length === 0 ? 0 : withIds / papers.length;
  const score = clamp(10 * (0.45 * paperScore + 0.2 * venueScore + 0.15 * yearScore + 0.1 * linkScore + 0.1 * Math.min(1, databases.size / 2)));
  const yearText = years.length ? `, published ${Math.min(...years)}-${Math.max(...years)}` : ', with unknown publication years';
  const rationale = `Claims and evidence come from ${papers.length} distinct paper(s) in ${venues.size || 'unknown'} venue(s)${yearText}, found through ${[...databases].join(', ') || 'no database'}.`;
  return { reviewer: 'sources', score, rationale };
}

/** All three reviews. */
export function reviewSynthesis(input: ReviewInput): Review[] {
  return [reviewCoverage(input), reviewEvidence(input), reviewSources(input)];
}
