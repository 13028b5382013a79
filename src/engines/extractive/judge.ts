/**
 * Judging a yes/no question's own proposition against each included paper, with the verifier's model
 * (`verify-model.ts`): "vitamin D supplementation reduces fracture risk" against each abstract gives the
 * probability that the paper supports it, contradicts it or says nothing about it, and the finding
 * sentence (results or conclusions, naming the question's outcome and its exposure, or in a paper whose
 * title names the exposure) that carries the
 * judgement. A paper decides the question only when its probability passes the thresholds below
 * (tuned on SciFact train, `npm run eval`) and that finding sentence exists: a stance read off an aim
 * or a method sentence never decides an answer.
 */
import type { Facets } from '../engine.js';
import type { Paper } from '../../model.js';
import { isCompleteSentence, stripSectionLabel } from '../../text/sentences.js';
import { stem, termSet, tokenize } from '../../text/tokens.js';
import { answerLean, sentenceDirection } from './direction.js';
import { compileCoreFacets, exposureSign, facetMatch, type CoreFacets } from './facets.js';
import { analyse, UNIFORM_WEIGHT, type AnalysedText } from './stance.js';
import { assess, isFindingRole, type PreparedPaper } from './verify-model.js';

/** Probability a paper needs to count as supporting the proposition. */
export const JUDGE_SUPPORT_THRESHOLD = 0.55;
/** Probability a paper needs to count as contradicting it (contradictions are read less reliably). */
export const JUDGE_CONTRADICT_THRESHOLD = 0.8;
/** Only the best-ranked papers may decide: lower-ranked ones match the proposition by chance more often. */
export const JUDGE_TOP_PAPERS = 10;

/** A sentence that speaks of the paper's exposure without naming it. */
const REFERS_TO_EXPOSURE = /^(?:(?:RESULTS?|CONCLUSIONS?|FINDINGS|INTERPRETATION)\W*\s+)?(?:treatment|therapy|supplementation|the (?:drug|treatment|intervention|supplement|therapy|active)|it|this|these)\b|\b(?:than|versus|vs\.?|compared with|relative to) (?:the )?placebo\b/i;

/** One paper's judgement of the proposition. */
export interface PaperJudgement {
  paper: Paper;
  support: number;
  contradict: number;
  /** +1 the paper says yes, -1 no, 0 it does not decide. */
  lean: -1 | 0 | 1;
  /** The finding sentence (label stripped) that carries the judgement, when there is one. */
  finding?: string;
  /** The paper names the question's population (true when the question names none). */
  population: boolean;
  /** True when the direction algebra, not the model, decided the lean (it counts for less). */
  byDirection?: boolean;
}

/** The proposition and facets a judgement needs, prepared once per run. */
export interface Proposition {
  text: AnalysedText;
  core: CoreFacets;
  /** A quoted statement's facets are parsed less reliably: its findings need not name them. */
  loose: boolean;
  /** What the question asks the outcome to do when the exposure is present (-1, +1, 0 any effect). */
  asked: -1 | 0 | 1;
}

/** Prepares the question's proposition, or undefined when the question is not a yes/no one. */
export function propositionOf(facets: Facets | undefined): Proposition | undefined {
  if (!facets?.proposition || facets.kind === 'open' || facets.kind === 'comparison') return undefined;
  const core = compileCoreFacets(facets);
  const asked = facets.direction === 0 ? 0 : ((facets.direction * exposureSign(tokenize(facets.proposition).map((t) => stem(t)), core.exposure)) as -1 | 1);
  return { text: analyse(facets.proposition), core, loose: facets.fromStatement === true, asked };
}

/** Judges the proposition against each paper (papers in rank order). Deterministic. */
export function judgePapers(
  proposition: Proposition,
  papers: readonly Paper[],
  prepare: (paper: Paper) => PreparedPaper,
): PaperJudgement[] {
  return papers.map((paper, rank) => {
    const prepared = prepare(paper);
    const { probabilities, rationale } = assess(proposition.text, prepared, UNIFORM_WEIGHT);
    const population = facetMatch(proposition.core, prepared.terms).population;
    const finding = findingSentence(proposition, prepared, rationale);
    let lean: -1 | 0 | 1 = 0;
    let byDirection = false;
    if (rank < JUDGE_TOP_PAPERS && finding !== undefined) {
      if (probabilities.SUPPORT >= JUDGE_SUPPORT_THRESHOLD && probabilities.SUPPORT >= probabilities.CONTRADICT) lean = 1;
      else if (probabilities.CONTRADICT >= JUDGE_CONTRADICT_THRESHOLD && probabilities.CONTRADICT > probabilities.SUPPORT) lean = -1;
      if (!proposition.loose) {
        // A question's facets are reliable: the finding's own direction must not say otherwise (a "no"
        // needs a finding that reads no), and a finding naming the exposure and outcome whose direction
        // is clear ("HR 0.69, 95% CI 0.56-0.84") decides on its own when the model is unsure.
        const strict = facetMatch(proposition.core, termSet(finding));
        const read = answerLean(proposition.asked, sentenceDirection(finding, proposition.core).sign);
        if (lean === -1 && read !== -1) lean = 0;
        else if (lean === 1 && read === -1) lean = 0;
        else if (lean === 0 && read !== undefined && strict.exposure && strict.outcome) {
          lean = read;
          byDirection = true;
        }
      }
    }
    return {
      paper,
      support: probabilities.SUPPORT,
      contradict: probabilities.CONTRADICT,
      lean,
      population,
      ...(finding !== undefined ? { finding } : {}),
      ...(byDirection ? { byDirection } : {}),
    };
  });
}

/**
 * The sentence that states the paper's finding on the proposition: the rationale sentence when it is a
 * result or conclusion, else the paper's best result or conclusion naming the exposure and outcome.
 */
function findingSentence(proposition: Proposition, prepared: PreparedPaper, rationale: readonly number[]): string | undefined {
  const titleNamesExposure = facetMatch(proposition.core, prepared.title.stemSet).exposure;
  // Aligned: the sentence names the outcome, and the exposure (itself, or the title does: "the trial").
  const alignedAt = (i: number) => {
    if (proposition.loose) return true;
    const m = facetMatch(proposition.core, prepared.sentences[i]!.stemSet);
    // Through the title only when the sentence refers to the exposure ("Treatment reduced ...", "... than placebo").
    return m.outcome && (m.exposure || (titleNamesExposure && REFERS_TO_EXPOSURE.test(prepared.sentences[i]!.text)));
  };
  const usable = (i: number) => {
    const text = stripSectionLabel(prepared.sentences[i]!.text);
    return isFindingRole(prepared.roles[i]) && alignedAt(i) && isCompleteSentence(text) && text.split(' ').length >= 6 ? text : undefined;
  };
  for (const i of rationale) {
    const text = usable(i);
    if (text) return text;
  }
  let best: { text: string; score: number } | undefined;
  prepared.sentences.forEach((s, i) => {
    const text = usable(i);
    if (!text) return;
    let shared = 0;
    for (const t of proposition.text.stemSet) if (s.stemSet.has(t)) shared++;
    if (!best || shared > best.score) best = { text, score: shared };
  });
  return best?.text;
}
