/**
 * Lexical comparison of a claim with a sentence or an abstract: how much of the claim the text covers,
 * and whether it flips the claim (negation, opposite direction, an antonym, conflicting numbers).
 * These features feed the verifier's classifier (`verify-model.ts`).
 */
import { STOPWORDS, stem, tokenize } from '../../text/tokens.js';
import { ANTONYMS, DOWN, NEGATION, UP } from './lexicon.js';

/** A text analysed once for repeated comparisons. */
export interface AnalysedText {
  text: string;
  /** Content stems (stopwords removed), in order. */
  stems: string[];
  stemSet: Set<string>;
  /** All lower-cased tokens (for numbers and specific names). */
  tokenSet: Set<string>;
  negations: number;
  up: number;
  down: number;
  numbers: string[];
  /** Specific names: tokens with a digit or an inner capital (B12, HNF4A, iPSC), lower-cased. */
  specific: string[];
  /** Each direction word with the content stems near it (what goes up or down). */
  scopedDirections: { dir: 1 | -1; targets: Set<string> }[];
  /** Each negation cue with the content stems that follow it (what is negated). */
  scopedNegations: Set<string>[];
}

/** How many tokens either side of a direction word (after a negation) count as its scope. */
const SCOPE = 4;

/** Analyses a text for {@link comparePair}. */
export function analyse(text: string): AnalysedText {
  const tokens = tokenize(text);
  const stems: string[] = [];
  let negations = 0;
  let up = 0;
  let down = 0;
  const numbers: string[] = [];
  // Per token: its content stem (or undefined for stopwords), direction and negation marks.
  const content: (string | undefined)[] = [];
  const marks: { dir: 0 | 1 | -1; neg: boolean }[] = [];
  for (const token of tokens) {
    if (token.endsWith("n't")) {
      negations++;
      content.push(undefined);
      marks.push({ dir: 0, neg: true });
      continue;
    }
    const s = stem(token);
    const neg = NEGATION.has(s) || token === 'no' || token === 'not' || token === 'nor';
    if (neg) negations++;
    const dir = UP.has(s) ? 1 : DOWN.has(s) ? -1 : 0;
    if (dir > 0) up++;
    if (dir < 0) down++;
    if (/^\d+(?:\.\d+)?$/.test(token)) numbers.push(token);
    const isContent = !STOPWORDS.has(token);
    if (isContent) stems.push(s);
    content.push(isContent && !neg && dir === 0 ? s : undefined);
    marks.push({ dir, neg });
  }
  const scopedDirections: { dir: 1 | -1; targets: Set<string> }[] = [];
  const scopedNegations: Set<string>[] = [];
  const window = (from: number, to: number) => {
    const out = new Set<string>();
    for (let k = Math.max(0, from); k <= Math.min(content.length - 1, to); k++) if (content[k]) out.add(content[k]!);
    return out;
  };
  marks.forEach((m, i) => {
    if (m.dir !== 0) scopedDirections.push({ dir: m.dir, targets: window(i - SCOPE, i + SCOPE) });
    if (m.neg) scopedNegations.push(window(i + 1, i + 2 * SCOPE));
  });
  const specific = [
    ...new Set(
      (text.match(/[\p{L}\p{N}]+(?:[-.][\p{L}\p{N}]+)*/gu) ?? [])
        .filter((w) => w.length > 1 && (/\p{N}/u.test(w) && /\p{L}/u.test(w) || /^\p{L}.*\p{Lu}/u.test(w)))
        .map((w) => w.toLowerCase()),
    ),
  ];
  return {
    text,
    stems,
    stemSet: new Set(stems),
    tokenSet: new Set(tokens),
    negations,
    up,
    down,
    numbers,
    specific,
    scopedDirections,
    scopedNegations,
  };
}

/** Weight of a stem: its IDF in the reference collection (rarer terms say more). */
export type TermWeight = (stem: string) => number;

/** Equal weights, when no collection statistics are at hand. */
export const UNIFORM_WEIGHT: TermWeight = () => 1;

/** How one text relates to a claim. */
export interface PairFeatures {
  /** Weighted share of the claim's content stems found in the text (0..1). */
  coverage: number;
  /** Share of the claim's specific names missing from the text (0 when it has none). */
  specificMissing: number;
  negationMismatch: boolean;
  /** The claim and the text both state a direction, and they differ. */
  directionConflict: boolean;
  /** The claim's direction words (up or down) are absent from the text, which uses the opposite ones only. */
  strictDirectionConflict: boolean;
  /** The text uses a direction word of the claim's direction. */
  directionAgree: boolean;
  /** A direction word of the claim and an opposite one in the text act on a shared term. */
  scopedDirectionConflict: boolean;
  /** A direction word of the claim and one of the same direction in the text act on a shared term. */
  scopedDirectionAgree: boolean;
  /** A term negated in one text appears un-negated near the same words in the other. */
  scopedNegationMismatch: boolean;
  /** The claim is negated and the text is not. */
  negatedClaimOnly: boolean;
  /** The text is negated and the claim is not. */
  negatedTextOnly: boolean;
  /** The text uses the antonym of a word of the claim without the word itself. */
  antonymConflict: boolean;
  /** Both state numbers and the claim's are absent from the text. */
  numberConflict: boolean;
  /** Share of the claim's numbers found in the text (0 when it has none). */
  numberMatch: number;
}

/** Compares a claim with a text (a sentence or a whole abstract). */
export function comparePair(claim: AnalysedText, text: AnalysedText, weight: TermWeight = UNIFORM_WEIGHT): PairFeatures {
  let total = 0;
  let found = 0;
  for (const s of claim.stemSet) {
    const w = weight(s);
    total += w;
    if (text.stemSet.has(s)) found += w;
  }
  const missing = claim.specific.filter((t) => !text.tokenSet.has(t) && !text.text.toLowerCase().includes(t)).length;
  const claimDir = Math.sign(claim.up - claim.down);
  const textDir = Math.sign(text.up - text.down);
  const numbersFound = claim.numbers.filter((n) => text.numbers.includes(n)).length;
  return {
    coverage: total === 0 ? 0 : found / total,
    specificMissing: claim.specific.length === 0 ? 0 : missing / claim.specific.length,
    negationMismatch: claim.negations % 2 !== text.negations % 2,
    directionConflict: claimDir !== 0 && textDir !== 0 && claimDir !== textDir,
    strictDirectionConflict: (claimDir > 0 && text.up === 0 && text.down > 0) || (claimDir < 0 && text.down === 0 && text.up > 0),
    directionAgree: (claimDir > 0 && text.up > 0) || (claimDir < 0 && text.down > 0),
    scopedDirectionConflict: scopedDirection(claim, text, -1),
    scopedDirectionAgree: scopedDirection(claim, text, 1),
    scopedNegationMismatch: negatedOnOneSide(claim, text) || negatedOnOneSide(text, claim),
    negatedClaimOnly: claim.negations > 0 && text.negations === 0,
    negatedTextOnly: claim.negations === 0 && text.negations > 0,
    antonymConflict: ANTONYMS.some(
      ([a, b]) =>
        (hasAny(claim.stemSet, a) && !hasAny(text.stemSet, a) && hasAny(text.stemSet, b)) ||
        (hasAny(claim.stemSet, b) && !hasAny(text.stemSet, b) && hasAny(text.stemSet, a)),
    ),
    numberConflict: claim.numbers.length > 0 && text.numbers.length > 0 && numbersFound === 0,
    numberMatch: claim.numbers.length === 0 ? 0 : numbersFound / claim.numbers.length,
  };
}

function overlaps(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** Same (sign 1) or opposite (sign -1) direction words in claim and text acting on a shared term. */
function scopedDirection(claim: AnalysedText, text: AnalysedText, sign: 1 | -1): boolean {
  return claim.scopedDirections.some((c) =>
    text.scopedDirections.some((t) => t.dir === c.dir * sign && overlaps(c.targets, t.targets)),
  );
}

/** Terms negated in `a` that `b` states without any negation nearby. */
function negatedOnOneSide(a: AnalysedText, b: AnalysedText): boolean {
  if (a.scopedNegations.length === 0) return false;
  const negatedInB = new Set<string>();
  for (const scope of b.scopedNegations) for (const t of scope) negatedInB.add(t);
  return a.scopedNegations.some((scope) => [...scope].some((t) => b.stemSet.has(t) && !negatedInB.has(t)));
}

function hasAny(set: ReadonlySet<string>, words: ReadonlySet<string>): boolean {
  for (const w of words) if (set.has(w)) return true;
  return false;
}
