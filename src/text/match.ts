/** Matching a key term or phrase of the question against text, at the level of stemmed terms. */
import { stem, terms } from './tokens.js';

/**
 * Words so common in scientific abstracts that, as key terms, they say little about the subject
 * ("fracture risk": the subject is the fracture). They count half when weighing coverage.
 */
export const GENERIC_TERMS: ReadonlySet<string> = new Set(
  (
    'risk risks cell cells patient patients effect effects level levels disease diseases treatment treatments study ' +
    'studies data model models performance analysis outcome outcomes rate rates use group groups factor factors ' +
    'response function activity expression change changes method methods system systems result results role ' +
    'approach approaches task tasks type types people population health clinical human humans process value values ' +
    'measure measures time increase decrease development test tests case cases evidence'
  )
    .split(' ')
    .map((w) => stem(w)),
);

/** A compiled key term: its stems, all of which must occur for a match, and its weight. */
export interface TermMatcher {
  term: string;
  stems: string[];
  /** 1, or 0.5 for a generic single word (see {@link GENERIC_TERMS}). */
  weight: number;
}

/** Compiles key terms (single words or phrases) for {@link matchesTerm}; terms with no stems are dropped. */
export function compileTerms(keyTerms: readonly string[]): TermMatcher[] {
  return keyTerms
    .map((term) => {
      const stems = [...new Set(terms(term))];
      return { term, stems, weight: stems.length === 1 && GENERIC_TERMS.has(stems[0]!) ? 0.5 : 1 };
    })
    .filter((m) => m.stems.length > 0);
}

/** True when every stem of `matcher` is among `textTerms`. */
export function matchesTerm(matcher: TermMatcher, textTerms: ReadonlySet<string>): boolean {
  return matcher.stems.every((s) => textTerms.has(s));
}

/** The weighted share (0..1) of `matchers` found in `textTerms`; 1 when there are none. */
export function termCoverage(matchers: readonly TermMatcher[], textTerms: ReadonlySet<string>): number {
  const total = matchers.reduce((s, m) => s + m.weight, 0);
  if (total === 0) return 1;
  return matchers.filter((m) => matchesTerm(m, textTerms)).reduce((s, m) => s + m.weight, 0) / total;
}
