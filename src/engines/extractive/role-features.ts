/**
 * Features of one abstract sentence for the sentence-role model, and the model's stored shape. The
 * same function featurises at fitting time (`scripts/role-fit.ts`) and at run time (`roles.ts`).
 */
import { stem, tokenize } from '../../text/tokens.js';
import type { SentenceRole } from '../../text/section-labels.js';

/** The decoding strategies of {@link RoleModel.decode}. */
export type RoleDecode = 'none' | 'viterbi' | 'posterior';

/**
 * A fitted sentence-role model: a multinomial logistic model over sparse binary features, and the
 * role-to-role transitions for the sequence decode. Weights are per feature, one per role in
 * `roles` order; log probabilities are natural logs.
 */
export interface RoleModel {
  roles: readonly SentenceRole[];
  /** Feature names; `weights[i * roles.length + r]` is feature i's weight for role r. */
  features: readonly string[];
  weights: readonly number[];
  bias: readonly number[];
  /** Log probability of each role opening an abstract. */
  start: readonly number[];
  /** `transition[a][b]`: log probability that role b follows role a. */
  transition: readonly (readonly number[])[];
  /** Log prior of each role among training sentences (divided out of the posteriors when decoding). */
  prior: readonly number[];
  /** How much of the prior to divide out (0 = none, 1 = all; the hybrid-HMM scaled likelihood). */
  priorPower: number;
  /**
   * How to choose roles: sentence by sentence (`none`), the most probable sequence (`viterbi`), or
   * each sentence's most probable role given the whole abstract (`posterior`, forward-backward).
   */
  decode: RoleDecode;
}

const NUMBER = /^\p{N}/u;
const P_VALUE = /\b[pP]\s*(?:[<>=≤≥]|less than|value)/;
const INTERVAL = /\b95\s*%|\bCIs?\b|confidence interval/i;
const RATIO = /\b(?:a?OR|a?HR|a?RR|IRR|RRR|SMD|WMD|MD)\b/;
const SAMPLE_SIZE = /\b[nN]\s*=/;

function bucket(value: number, edges: readonly number[]): number {
  let b = 0;
  while (b < edges.length && value >= edges[b]!) b++;
  return b;
}

/** Receives the features of one sentence as they are found (so run time can look them up without building names). */
export interface RoleFeatureSink {
  unigram(token: string): void;
  bigram(first: string, second: string): void;
  opening(first: string, second: string | undefined): void;
  flag(name: string): void;
}

// Porter stems via the project's stemmer, numbers folded to `#`; cached because abstracts repeat words.
const normalised = new Map<string, string>();
function normalise(token: string): string {
  let out = normalised.get(token);
  if (out === undefined) {
    out = NUMBER.test(token) ? '#' : stem(token);
    if (normalised.size > 100_000) normalised.clear();
    normalised.set(token, out);
  }
  return out;
}

/**
 * Walks the sparse binary features of sentence `index` of an abstract of `count` sentences: stemmed
 * unigrams and bigrams (stopwords kept: tense and "we"/"these" mark roles), the opening words,
 * relative position, first/last, length, and numbers, percentages, p-values, intervals, ratios.
 * `text` must already be free of any section label. A lone sentence gets no position features.
 */
export function visitRoleFeatures(text: string, index: number, count: number, sink: RoleFeatureSink): void {
  const tokens = tokenize(text).map(normalise);
  let numbers = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === '#') numbers++;
    sink.unigram(tokens[i]!);
    if (i + 1 < tokens.length) sink.bigram(tokens[i]!, tokens[i + 1]!);
  }
  sink.opening(tokens[0] ?? '', tokens[1]);
  if (count > 1) {
    const pos = bucket(index / (count - 1), [0.15, 0.3, 0.45, 0.6, 0.75, 0.9]);
    sink.flag(`pos:${pos}`);
    if (index === 0) sink.flag('first');
    if (index === 1) sink.flag('second');
    if (index === count - 1) sink.flag('last');
    if (index === count - 2) sink.flag('penultimate');
    if (numbers > 0) sink.flag(`pos:${pos}|num`);
  }
  sink.flag(`len:${bucket(tokens.length, [8, 14, 20, 28, 40])}`);
  sink.flag(`num:${Math.min(numbers, 4)}`);
  if (text.includes('%')) sink.flag('pct');
  if (P_VALUE.test(text)) sink.flag('pvalue');
  if (INTERVAL.test(text)) sink.flag('interval');
  if (RATIO.test(text)) sink.flag('ratio');
  if (SAMPLE_SIZE.test(text)) sink.flag('sample-size');
  if (/[;:]/.test(text)) sink.flag('colon');
  if (text.endsWith('?')) sink.flag('question');
}

/** The feature names of one sentence (see {@link visitRoleFeatures}), each once. */
export function roleFeatures(text: string, index: number, count: number): string[] {
  const out = new Set<string>();
  visitRoleFeatures(text, index, count, {
    unigram: (t) => out.add(`u:${t}`),
    bigram: (a, b) => out.add(`b:${a}_${b}`),
    opening: (a, b) => {
      out.add(`s:${a}`);
      if (b !== undefined) out.add(`s2:${a}_${b}`);
    },
    flag: (name) => out.add(name),
  });
  return [...out];
}
