/**
 * Extraction without a model: findings, not sentences. A claim is a whole sentence of an included
 * paper that
 * - states a finding: its role (`roles.ts`) is results or conclusions; background, aims and methods
 *   never become claims, and a section label ("CONCLUSIONS - ") is not part of the claim;
 * - is on topic: it names the question's exposure and outcome (or, for a comparison, one of the things
 *   compared and the measure; `facets.ts`), and comes from a paper that names the question's population
 *   when the question has one;
 * - is complete (never truncated) and not a near-duplicate of a chosen one.
 * For a yes/no question, the finding of each paper that decides the question's own proposition
 * (`judge.ts`) comes first, so the papers the answer rests on are cited by claims. Then candidates are
 * taken one per paper, then a second per paper, best first (specific terms covered, conclusions over
 * results, a direction or a number stated, the paper's rank). What was dropped and why is counted.
 */
import type { ExtractInput } from '../engine.js';
import type { ClaimDraft, Paper } from '../../model.js';
import { stemIdf } from '../../text/idf.js';
import { compileTerms, matchesTerm } from '../../text/match.js';
import { isCompleteSentence, stripSectionLabel } from '../../text/sentences.js';
import { termSet } from '../../text/tokens.js';
import { sentenceDirection } from './direction.js';
import { FINDING_CUES, NON_FINDING_CUES } from './lexicon.js';
import { compileCoreFacets, facetMatch, isOnTopic, type CoreFacets } from './facets.js';
import { judgePapers, propositionOf, type PaperJudgement } from './judge.js';
import { createPaperCache } from './verify.js';
import { isFindingRole, type PreparedPaper } from './verify-model.js';

const defaultPrepare = createPaperCache();

/** Most claims taken from one paper. */
export const MAX_CLAIMS_PER_PAPER = 2;
/** Least weighted share of the key terms a sentence must name when the question has no usable facets. */
export const MIN_KEY_COVERAGE = 0.5;
/** Least IDF-weighted share of a quoted statement's key terms a finding must name when it misses the parsed facets. */
export const MIN_STATEMENT_COVERAGE = 0.25;
/** For a quoted statement, how many of the best-ranked papers contribute the finding that bears on it. */
export const STATEMENT_FINDING_PAPERS = 6;
/** Least P(supports) + P(contradicts) for such a finding to bear on the statement. */
export const STATEMENT_FINDING_BEARING = 0.15;
/** Two claims whose term sets overlap more than this (Jaccard) are near-duplicates. */
export const NEAR_DUPLICATE = 0.5;

/** What extraction considered and dropped, for the methodology. */
export interface ExtractionCounts {
  /** Complete sentences of the included papers that were considered. */
  sentences: number;
  /** Dropped: background, aims or methods rather than findings. */
  notFindings: number;
  /** Dropped: findings that do not name the question's exposure and outcome. */
  offTopic: number;
  /** Dropped: findings of papers about another population than the question's. */
  otherPopulation: number;
  /** Findings kept as claims. */
  claims: number;
}

interface Candidate {
  text: string;
  paperId: string;
  paperRank: number;
  stems: Set<string>;
  score: number;
  /** Set for the finding of a paper that decides the question. */
  decides?: PaperJudgement;
}

/** The facets a sentence must name, or undefined when the question has none usable. */
function usableFacets(input: ExtractInput): CoreFacets | undefined {
  const facets = input.plan.facets;
  if (!facets) return undefined;
  const core = compileCoreFacets(facets);
  if (core.compared.length === 0 && !core.exposure) return undefined;
  return core;
}

/** Extracts up to `maxClaims` claims. Deterministic for the same input. */
export function extractClaims(
  input: ExtractInput,
  prepare: (paper: Paper) => PreparedPaper = defaultPrepare,
  counts: ExtractionCounts = { sentences: 0, notFindings: 0, offTopic: 0, otherPopulation: 0, claims: 0 },
): ClaimDraft[] {
  const core = usableFacets(input);
  const keys = compileTerms(input.plan.keyTerms);
  const keyWeight = (m: (typeof keys)[number]) => Math.max(...m.stems.map((s) => stemIdf(s)));
  const totalKeyWeight = keys.reduce((s, m) => s + keyWeight(m), 0);
  const proposition = propositionOf(input.plan.facets);
  const judgements = proposition ? judgePapers(proposition, input.papers, prepare) : [];
  const deciding = new Map(judgements.filter((j) => j.lean !== 0 && j.population && j.finding).map((j) => [j.paper.id, j]));
  // For a quoted statement, the finding of each of the best-ranked papers that bears on it (even without
  // deciding it) is a candidate too: the statement's own words find it, its parsed facets may not.
  const bearing = new Map(
    input.plan.facets?.fromStatement
      ? judgements
          .slice(0, STATEMENT_FINDING_PAPERS)
          .filter((j) => j.finding && j.lean === 0 && j.support + j.contradict >= STATEMENT_FINDING_BEARING)
          .map((j) => [j.paper.id, j.finding!])
      : [],
  );

  const candidates: Candidate[] = [];
  input.papers.forEach((paper, paperRank) => {
    const prepared = prepare(paper);
    // A comparison's setting (a benchmark) is preferred, not required; an effect's population is required.
    const populationMatch = core ? facetMatch(core, prepared.terms).population : true;
    const populationOk = populationMatch || (core !== undefined && core.compared.length > 0);
    const decides = deciding.get(paper.id);
    prepared.sentences.forEach((sentence, index) => {
      const text = stripSectionLabel(sentence.text);
      const words = text.split(' ').length;
      if (words < 6 || words > 80 || text.endsWith('?') || !isCompleteSentence(text)) return;
      counts.sentences++;
      if (decides?.finding === text) {
        candidates.push({ text, paperId: paper.id, paperRank, stems: termSet(text), score: 10 + decides.support + decides.contradict, decides });
        return;
      }
      if (bearing.get(paper.id) === text) {
        candidates.push({ text, paperId: paper.id, paperRank, stems: termSet(text), score: 5 - paperRank / 10 });
        return;
      }
      // A finding role is not enough when the words say aim, design or review ("Here, we discuss ...").
      if (!isFindingRole(prepared.roles[index]) || (NON_FINDING_CUES.test(text) && !FINDING_CUES.test(text))) {
        counts.notFindings++;
        return;
      }
      const stems = termSet(text);
      const byKeys = (least: number) => keys.length === 0 || keyShare(keys, stems, keyWeight, totalKeyWeight) >= least;
      // A quoted statement's facets are parsed less reliably: naming a good share of its specific terms will do.
      const onTopic = core ? isOnTopic(core, stems) || (input.plan.facets?.fromStatement === true && byKeys(MIN_STATEMENT_COVERAGE)) : byKeys(MIN_KEY_COVERAGE);
      if (!onTopic) {
        counts.offTopic++;
        return;
      }
      if (!populationOk) {
        counts.otherPopulation++;
        return;
      }
      const relevance = totalKeyWeight === 0 ? 0 : keyShare(keys, stems, keyWeight, totalKeyWeight);
      const directed = core && sentenceDirection(text, core).sign !== undefined ? 0.1 : 0;
      const role = prepared.roles[index] === 'conclusions' ? 0.15 : 0.1;
      const setting = populationMatch ? 0 : -0.2;
      const score = relevance + role + directed + setting + 0.3 / (1 + paperRank / 3) + (/\d/.test(text) ? 0.03 : 0);
      candidates.push({ text, paperId: paper.id, paperRank, stems, score });
    });
  });
  candidates.sort((a, b) => b.score - a.score || a.paperRank - b.paperRank);

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
  chosen.sort((a, b) => b.score - a.score);
  counts.claims = chosen.length;
  return chosen.map((c) => ({ text: c.text, paperId: c.paperId, quote: c.text }));
}

function keyShare(
  keys: ReturnType<typeof compileTerms>,
  stems: ReadonlySet<string>,
  weight: (m: ReturnType<typeof compileTerms>[number]) => number,
  total: number,
): number {
  if (total === 0) return 1;
  return keys.filter((m) => matchesTerm(m, stems)).reduce((s, m) => s + weight(m), 0) / total;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}
