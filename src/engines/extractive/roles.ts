/**
 * The rhetorical role of each sentence of an abstract: background, objective, methods, results or
 * conclusions. Section labels of structured abstracts decide (and carry to the sentences after them
 * until the next label); other sentences get a multinomial logistic model over words, position and
 * number cues, decoded over the whole abstract with role-to-role transitions (fitted on labelled
 * SciFact abstracts by `scripts/train-roles.ts`; figures in `role-weights.ts`). Pure and
 * deterministic.
 */
import { parseSectionLabel, SENTENCE_ROLES, type SentenceRole } from '../../text/section-labels.js';
import { visitRoleFeatures, type RoleDecode, type RoleFeatureSink, type RoleModel } from './role-features.js';
import { ROLE_MODEL } from './role-weights.js';
import { FINDING_CUES, NON_FINDING_CUES } from './lexicon.js';

export { parseSectionLabel, SENTENCE_ROLES, type SectionLabel, type SentenceRole } from '../../text/section-labels.js';
export type { RoleDecode, RoleModel } from './role-features.js';

/** The role guessed for one sentence. */
export interface RoleGuess {
  role: SentenceRole;
  /** Probability of each role for this sentence (0 for roles a section label rules out). */
  p: Record<SentenceRole, number>;
  /** True when a section label (on this sentence or an earlier one) decided or narrowed the role. */
  labelled: boolean;
}

/** Options of {@link createRoleClassifier}; each defaults to the model's own setting. */
export interface RoleClassifierOptions {
  decode?: RoleDecode;
  priorPower?: number;
}

function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return max;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

function normalise(scores: readonly number[]): number[] {
  const z = logSumExp(scores);
  return scores.map((s) => (z === -Infinity ? 0 : Math.exp(s - z)));
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** Each sentence's allowed roles from the labels (undefined = any), and its text without its label. */
function readLabels(sentences: readonly string[]): { text: string; allowed: readonly SentenceRole[] | undefined }[] {
  let current: readonly SentenceRole[] | undefined;
  return sentences.map((sentence) => {
    const label = parseSectionLabel(sentence);
    if (!label) return { text: sentence, allowed: current };
    current = label.roles.length > 0 ? label.roles : undefined;
    return { text: label.text, allowed: current };
  });
}

/** Per-sentence marginals by forward-backward over log emissions `e` (rows: sentences). */
function marginals(model: RoleModel, e: readonly number[][]): number[][] {
  const k = model.roles.length;
  const n = e.length;
  const alpha: number[][] = [];
  for (let t = 0; t < n; t++) {
    alpha.push(
      Array.from({ length: k }, (_, r) =>
        t === 0 ? model.start[r]! + e[0]![r]! : e[t]![r]! + logSumExp(alpha[t - 1]!.map((a, q) => a + model.transition[q]![r]!)),
      ),
    );
  }
  const beta: number[][] = new Array<number[]>(n);
  beta[n - 1] = new Array<number>(k).fill(0);
  for (let t = n - 2; t >= 0; t--) {
    beta[t] = Array.from({ length: k }, (_, r) => logSumExp(beta[t + 1]!.map((b, q) => model.transition[r]![q]! + e[t + 1]![q]! + b)));
  }
  return alpha.map((a, t) => normalise(a.map((x, r) => x + beta[t]![r]!)));
}

/** The most probable role sequence under emissions `e` and the model's transitions. */
function viterbi(model: RoleModel, e: readonly number[][]): number[] {
  const k = model.roles.length;
  const back: number[][] = [];
  let score = Array.from({ length: k }, (_, r) => model.start[r]! + e[0]![r]!);
  for (let t = 1; t < e.length; t++) {
    const from: number[] = [];
    score = Array.from({ length: k }, (_, r) => {
      let best = 0;
      for (let q = 1; q < k; q++) if (score[q]! + model.transition[q]![r]! > score[best]! + model.transition[best]![r]!) best = q;
      from.push(best);
      return score[best]! + model.transition[best]![r]! + e[t]![r]!;
    });
    back.push(from);
  }
  const path = [argmax(score)];
  for (let t = back.length - 1; t >= 0; t--) path.unshift(back[t]![path[0]!]!);
  return path;
}

/** Feature offsets (into the weights) keyed by their parts, so a sentence is scored without building names. */
function featureLookup(model: RoleModel): (text: string, index: number, count: number) => number[] {
  const k = model.roles.length;
  const unigrams = new Map<string, number>();
  const bigrams = new Map<string, Map<string, number>>();
  const openings = new Map<string, number>();
  const openingPairs = new Map<string, Map<string, number>>();
  const flags = new Map<string, number>();
  const pair = (m: Map<string, Map<string, number>>, rest: string, at: number): void => {
    const cut = rest.indexOf('_');
    const a = rest.slice(0, cut);
    m.set(a, (m.get(a) ?? new Map<string, number>()).set(rest.slice(cut + 1), at));
  };
  model.features.forEach((f, i) => {
    if (f.startsWith('u:')) unigrams.set(f.slice(2), i * k);
    else if (f.startsWith('b:')) pair(bigrams, f.slice(2), i * k);
    else if (f.startsWith('s:')) openings.set(f.slice(2), i * k);
    else if (f.startsWith('s2:')) pair(openingPairs, f.slice(3), i * k);
    else flags.set(f, i * k);
  });
  let found = new Set<number>();
  const add = (at: number | undefined): void => {
    if (at !== undefined) found.add(at);
  };
  const sink: RoleFeatureSink = {
    unigram: (t) => add(unigrams.get(t)),
    bigram: (a, b) => add(bigrams.get(a)?.get(b)),
    opening: (a, b) => {
      add(openings.get(a));
      if (b !== undefined) add(openingPairs.get(a)?.get(b));
    },
    flag: (name) => add(flags.get(name)),
  };
  return (text, index, count) => {
    found = new Set<number>();
    visitRoleFeatures(text, index, count, sink);
    return [...found];
  };
}

/**
 * A classifier over `model` (see {@link classifySentenceRoles}); used by the fitting scripts to
 * score a freshly fitted model and to compare decodes.
 */
export function createRoleClassifier(model: RoleModel, options: RoleClassifierOptions = {}): (sentences: readonly string[]) => RoleGuess[] {
  const k = model.roles.length;
  const lookup = featureLookup(model);
  const decode = options.decode ?? model.decode;
  const priorPower = options.priorPower ?? model.priorPower;
  const roleIndex = new Map(model.roles.map((r, i) => [r, i]));

  return (sentences) => {
    if (sentences.length === 0) return [];
    const labelled = readLabels(sentences);
    const e = labelled.map(({ text, allowed }, i) => {
      const logits = [...model.bias];
      for (const at of lookup(text, i, sentences.length)) {
        for (let r = 0; r < k; r++) logits[r]! += model.weights[at + r]!;
      }
      const z = logSumExp(logits);
      return logits.map((l, r) => {
        if (allowed && !allowed.includes(model.roles[r]!)) return -Infinity;
        return l - z - (decode === 'none' ? 0 : priorPower * model.prior[r]!);
      });
    });
    // A lone sentence has no place in an abstract's flow: its words alone decide.
    const sequenceModel = sentences.length === 1 ? { ...model, start: model.prior.map(() => 0) } : model;
    const p = decode === 'none' ? e.map(normalise) : marginals(sequenceModel, e);
    const path = decode === 'viterbi' ? viterbi(sequenceModel, e) : p.map(argmax);
    return labelled.map(({ allowed }, t) => {
      const probs = Object.fromEntries(SENTENCE_ROLES.map((role) => [role, p[t]![roleIndex.get(role)!] ?? 0])) as Record<SentenceRole, number>;
      return { role: model.roles[path[t]!]!, p: probs, labelled: allowed !== undefined };
    });
  };
}

/**
 * The rhetorical role of each sentence of one abstract, in order: a section label (`METHODS `,
 * `Conclusions:`) decides its sentence and those after it until the next label; otherwise the
 * shipped model guesses from the words, the sentence's position and the abstract's flow.
 */
export function classifySentenceRoles(sentences: readonly string[]): RoleGuess[] {
  return shipped(sentences);
}

const shipped = createRoleClassifier(ROLE_MODEL);

const wordsOnly = createRoleClassifier(ROLE_MODEL, { decode: 'none' });

/** Abstracts of at most this many sentences are classified sentence by sentence, without the flow. */
export const SHORT_ABSTRACT = 4;

/**
 * Roles for deciding what is a finding: for an abstract of up to four sentences each sentence's own
 * words; otherwise the decoded role, except that an unlabelled sentence the
 * decode calls methods counts as results when its own words say results with probability >= 0.6, or
 * when it reports a percentage with a finding cue and no aim or method cue.
 * Short abstracts (a conference paper's four sentences) often state a result second, where the
 * biomedical flow the decode learnt expects methods.
 */
export function classifyFindingRoles(sentences: readonly string[]): SentenceRole[] {
  const local = wordsOnly(sentences);
  // Too short for a flow (a conference abstract, a database snippet): each sentence's own words decide.
  // Their first sentence often states the result ("X reduced Y by 20 percent compared with placebo"),
  // which the model, trained on long abstracts, calls background: a finding cue with a number or a
  // comparison, and no aim or method cue, makes it a result.
  if (sentences.length <= SHORT_ABSTRACT) {
    return local.map((g, i) => {
      const s = sentences[i]!;
      const stated = FINDING_CUES.test(s) && !NON_FINDING_CUES.test(s) && (/\d/.test(s) || /\b(?:than|compared|versus|vs\.?|not|no)\b/i.test(s));
      return g.labelled || !stated || g.role === 'results' || g.role === 'conclusions' ? g.role : 'results';
    });
  }
  const decoded = shipped(sentences);
  return decoded.map((g, i) => {
    const own = local[i]!;
    const findingP = own.p.results + own.p.conclusions;
    const reportsResult = findingP >= 0.6 || (FINDING_CUES.test(sentences[i]!) && /\d(?:\.\d+)?\s?%/.test(sentences[i]!) && !NON_FINDING_CUES.test(sentences[i]!));
    return !g.labelled && g.role === 'methods' && reportsResult ? (own.p.results >= own.p.conclusions ? 'results' : 'conclusions') : g.role;
  });
}
