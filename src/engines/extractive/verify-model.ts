/**
 * The extractive verifier's judgement of one claim against one paper: features from `stance.ts`
 * aggregated over the paper's sentences, then a small multinomial logistic model (weights fitted on
 * SciFact train by `scripts/train-verifier.ts`, stored in `verify-weights.ts`) gives the probability
 * that the paper supports, contradicts or says nothing about the claim. Deterministic.
 */
import { analyse, comparePair, type AnalysedText, type PairFeatures, type TermWeight } from './stance.js';
import { VERIFY_WEIGHTS } from './verify-weights.js';
import { sentenceDirection, type Direction } from './direction.js';
import { compileCoreFacets, facetMatch, parseFacets, type CoreFacets } from './facets.js';
import { stemIdf } from '../../text/idf.js';
import { classifyFindingRoles, type SentenceRole } from './roles.js';

/** The three judgements, in the order of the model's outputs. */
export const LABELS = ['SUPPORT', 'CONTRADICT', 'NEI'] as const;
/** One of {@link LABELS}. */
export type Label = (typeof LABELS)[number];

/** Names of the model's features, in order (the weights follow this order). */
export const FEATURE_NAMES = [
  'bias',
  'maxCoverage',
  'top2Coverage',
  'documentCoverage',
  'titleCoverage',
  'specificMissing',
  'hasSpecific',
  'bestNegationMismatch',
  'bestDirectionConflict',
  'bestFlip',
  'bestAntonym',
  'bestNumberConflict',
  'bestNumberMatch',
  'anyFlipTop3',
  'anyAntonymTop3',
  'claimNegated',
  'claimDirected',
  'bestFinding',
  'coverageXflip',
  'coverageXantonym',
  'highCoverage',
  'sentenceCountLog',
  'bestStrictDirection',
  'anyStrictDirectionTop2',
  'bestDirectionAgree',
  'bestNegatedClaimOnly',
  'bestNegatedTextOnly',
  'anyNegatedTextOnlyTop2',
  'anyAntonymTop2',
  'claimHedged',
  'bestScopedDirectionConflict',
  'bestScopedDirectionAgree',
  'bestScopedNegationMismatch',
  'anyScopedDirectionConflictTop2',
  'anyScopedNegationMismatchTop2',
  'docExposure',
  'docOutcome',
  'alignedSentence',
  'signAgree',
  'signConflict',
  'nullVersusDirection',
  'idfMaxCoverage',
  'idfDocCoverage',
  'bigramOverlap',
  'rarestMissing',
] as const;

/** A claim's facets and direction, computed once per analysed claim. */
export interface ClaimFrame {
  core: CoreFacets;
  direction: Direction;
}

const frames = new WeakMap<AnalysedText, ClaimFrame>();

/** The facets and direction of a claim (cached per analysed text). */
export function claimFrame(claim: AnalysedText): ClaimFrame {
  let frame = frames.get(claim);
  if (!frame) {
    const core = compileCoreFacets(parseFacets(`Is it true that ${claim.text.replace(/[.?!]+$/, '')}?`));
    frame = { core, direction: sentenceDirection(claim.text, core) };
    frames.set(claim, frame);
  }
  return frame;
}

/** How a sentence's direction relates to the claim's: agree, conflict, one null and one directional, or unknown. */
export function signRelation(claim: Direction['sign'], text: Direction['sign']): 'agree' | 'conflict' | 'null' | undefined {
  if (claim === undefined || text === undefined) return undefined;
  if (claim === 0 && text === 0) return 'agree';
  if (claim === 0 || text === 0) return 'null';
  return claim === text ? 'agree' : 'conflict';
}

/** A paper prepared for repeated assessments. */
export interface PreparedPaper {
  title: AnalysedText;
  sentences: AnalysedText[];
  /** Each sentence's rhetorical role (`roles.ts`). */
  roles: SentenceRole[];
  /** Every content stem of the title and the abstract. */
  terms: Set<string>;
}

/** Analyses a paper's title and sentences once. */
export function preparePaper(title: string, sentences: readonly string[]): PreparedPaper {
  const analysed = { title: analyse(title), sentences: sentences.map((s) => analyse(s)) };
  const terms = new Set<string>(analysed.title.stemSet);
  for (const s of analysed.sentences) for (const t of s.stemSet) terms.add(t);
  return { ...analysed, roles: classifyFindingRoles(sentences), terms };
}

/** True for the roles that state findings. */
export function isFindingRole(role: SentenceRole | undefined): boolean {
  return role === 'results' || role === 'conclusions';
}

/** The model's view of one claim-paper pair. */
export interface Assessment {
  probabilities: Record<Label, number>;
  /** Indexes of the sentences that carry the judgement (best first). */
  rationale: number[];
  /** Features per rationale sentence, for stance of each quote. */
  sentenceFeatures: PairFeatures[];
  features: number[];
}

/** Computes the feature vector and the candidate rationale sentences. */
export function featurize(
  claim: AnalysedText,
  paper: PreparedPaper,
  weight: TermWeight,
): { features: number[]; ranked: { index: number; f: PairFeatures; score: number }[] } {
  const ranked = paper.sentences
    .map((s, index) => {
      const f = comparePair(claim, s, weight);
      return { index, f, score: f.coverage + roleBonus(paper.roles[index]) };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const best = ranked[0]?.f;
  const second = ranked[1];
  const union = new Set<string>();
  for (const r of ranked.slice(0, 2)) for (const s of paper.sentences[r.index]!.stemSet) union.add(s);
  const top2 = coverageOf(claim, union, weight);
  const all = paper.terms;
  const docCoverage = coverageOf(claim, all, weight);
  const docText = [paper.title.text, ...paper.sentences.map((s) => s.text)].join(' ').toLowerCase();
  const tokens = new Set<string>([...paper.title.tokenSet, ...paper.sentences.flatMap((s) => [...s.tokenSet])]);
  const specificMissing =
    claim.specific.length === 0 ? 0 : claim.specific.filter((t) => !tokens.has(t) && !docText.includes(t)).length / claim.specific.length;
  const top3 = ranked.slice(0, 3).filter((r) => r.f.coverage >= 0.3);
  const top2List = ranked.slice(0, 2);
  const flip = (f: PairFeatures) => f.negationMismatch !== f.directionConflict;
  const bestFlip = best ? flip(best) : false;
  const bestFinding = ranked[0] ? isFindingRole(paper.roles[ranked[0].index]) : false;
  const b = (x: boolean) => (x ? 1 : 0);
  const maxCoverage = best?.coverage ?? 0;
  // Alignment: the paper must name the claim's exposure and outcome, and the sentence that carries the
  // direction should name both; only then does direction decide the stance.
  const frame = claimFrame(claim);
  const docFacets = facetMatch(frame.core, all);
  const aligned = ranked.slice(0, 3).find((r) => {
    const m = facetMatch(frame.core, paper.sentences[r.index]!.stemSet);
    return m.exposure && m.outcome;
  });
  const relation = aligned ? signRelation(frame.direction.sign, sentenceDirection(paper.sentences[aligned.index]!.text, frame.core).sign) : undefined;
  const features = [
    1,
    maxCoverage,
    top2,
    docCoverage,
    coverageOf(claim, paper.title.stemSet, weight),
    specificMissing,
    b(claim.specific.length > 0),
    b(best?.negationMismatch ?? false),
    b(best?.directionConflict ?? false),
    b(bestFlip),
    b(best?.antonymConflict ?? false),
    b(best?.numberConflict ?? false),
    best?.numberMatch ?? 0,
    b(top3.some((r) => flip(r.f))),
    b(top3.some((r) => r.f.antonymConflict)),
    b(claim.negations % 2 === 1),
    b(claim.up + claim.down > 0),
    b(bestFinding),
    maxCoverage * b(bestFlip),
    maxCoverage * b(best?.antonymConflict ?? false),
    b(maxCoverage >= 0.6 || (second !== undefined && top2 >= 0.75)),
    Math.log(1 + paper.sentences.length),
    b(best?.strictDirectionConflict ?? false),
    b(top2List.some((r) => r.f.strictDirectionConflict)),
    b(best?.directionAgree ?? false),
    b(best?.negatedClaimOnly ?? false),
    b(best?.negatedTextOnly ?? false),
    b(top2List.some((r) => r.f.negatedTextOnly)),
    b(top2List.some((r) => r.f.antonymConflict)),
    b(/\b(?:may|might|can|could|possibly|potentially)\b/i.test(claim.text)),
    b(best?.scopedDirectionConflict ?? false),
    b(best?.scopedDirectionAgree ?? false),
    b(best?.scopedNegationMismatch ?? false),
    b(top2List.some((r) => r.f.scopedDirectionConflict)),
    b(top2List.some((r) => r.f.scopedNegationMismatch)),
    b(docFacets.exposure),
    b(docFacets.outcome),
    b(aligned !== undefined),
    b(relation === 'agree'),
    b(relation === 'conflict'),
    b(relation === 'null'),
    ranked.reduce((m, r) => Math.max(m, coverageOf(claim, paper.sentences[r.index]!.stemSet, stemIdf)), 0),
    coverageOf(claim, all, stemIdf),
    best ? bigramOverlap(claim.stems, paper.sentences[ranked[0]!.index]!.stems) : 0,
    b(rarest(claim) !== undefined && !all.has(rarest(claim)!)),
  ];
  return { features, ranked };
}

/**
 * How much a sentence's role counts when choosing the sentences that carry a judgement: findings
 * (results, conclusions) before background, aims and methods.
 */
export function roleBonus(role: SentenceRole | undefined): number {
  return role === 'results' || role === 'conclusions' ? 0.1 : role === undefined ? 0 : -0.2;
}

/** Share of the claim's adjacent content-stem pairs that stand adjacent in the text. */
function bigramOverlap(claim: readonly string[], text: readonly string[]): number {
  if (claim.length < 2) return 0;
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < text.length; i++) pairs.add(`${text[i]} ${text[i + 1]}`);
  let found = 0;
  for (let i = 0; i + 1 < claim.length; i++) if (pairs.has(`${claim[i]} ${claim[i + 1]}`)) found++;
  return found / (claim.length - 1);
}

const rarestCache = new WeakMap<AnalysedText, string | undefined>();

/** The claim's most specific stem. */
function rarest(claim: AnalysedText): string | undefined {
  if (!rarestCache.has(claim)) {
    let best: string | undefined;
    for (const s of claim.stemSet) if (best === undefined || stemIdf(s) > stemIdf(best)) best = s;
    rarestCache.set(claim, best);
  }
  return rarestCache.get(claim);
}

function coverageOf(claim: AnalysedText, set: ReadonlySet<string>, weight: TermWeight): number {
  let total = 0;
  let found = 0;
  for (const s of claim.stemSet) {
    const w = weight(s);
    total += w;
    if (set.has(s)) found += w;
  }
  return total === 0 ? 0 : found / total;
}

/** Softmax of the linear scores of `features` under `weights` (one row per label). */
export function predict(features: readonly number[], weights: readonly (readonly number[])[] = VERIFY_WEIGHTS): Record<Label, number> {
  const scores = weights.map((row) => row.reduce((s, w, i) => s + w * (features[i] ?? 0), 0));
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return { SUPPORT: exps[0]! / sum, CONTRADICT: exps[1]! / sum, NEI: exps[2]! / sum };
}

/** Assesses one claim against one paper. */
export function assess(claim: AnalysedText, paper: PreparedPaper, weight: TermWeight): Assessment {
  const { features, ranked } = featurize(claim, paper, weight);
  const probabilities = predict(features);
  // Rationale: the best-covering sentence, plus a second one when it covers the claim nearly as well.
  const best = ranked[0];
  const rationale: number[] = [];
  const sentenceFeatures: PairFeatures[] = [];
  if (best && best.f.coverage > 0) {
    rationale.push(best.index);
    sentenceFeatures.push(best.f);
    const next = ranked[1];
    if (next && next.score >= Math.max(0.5, best.score - 0.1)) {
      rationale.push(next.index);
      sentenceFeatures.push(next.f);
    }
  }
  return { probabilities, rationale, sentenceFeatures, features };
}
