/**
 * The direction algebra: which way a sentence says the outcome moves when the exposure is present.
 * The sign of a statement is the exposure's sign times the effect's:
 * - "vitamin D supplementation lowers fracture risk": exposure +1, effect -1 → -1;
 * - "vitamin D deficiency raises fracture risk": exposure -1 (deficiency), effect +1 → -1: the same claim;
 * - "no significant difference in fracture risk": a null finding (0);
 * - "(RR 0.59, 95% CI 0.43 to 0.82)" near the outcome: a ratio below 1 with a CI that excludes 1 is -1.
 * Two statements about the same exposure and outcome agree when their signs are equal; a null finding
 * disagrees with a directional one only when both are about that same exposure and outcome (the
 * caller checks alignment first).
 */
import { stem, tokenize } from '../../text/tokens.js';
import { exposureSign, NEGATIVE_AFTER, NEGATIVE_BEFORE, type CompiledFacet, type CoreFacets } from './facets.js';
import { DOWN, NEGATION, UP } from './lexicon.js';

/** What a sentence says about the exposure's effect on the outcome. */
export interface Direction {
  /** -1, +1, 0 for a null finding, undefined when it states no direction. */
  sign: -1 | 0 | 1 | undefined;
  /** The exposure's sign in the sentence (-1 for its absence or deficiency). */
  exposure: 1 | -1;
  /** The effect's direction before the exposure's sign is applied. */
  effect: -1 | 0 | 1 | undefined;
}

const NULL_FINDING =
  /\b(?:no|not|nor|neither)\b[^.;]{0,40}\b(?:significant(?:ly)?|difference|differ|effect|association|associated|change|changed|benefit|reduc\w*|increas\w*|improv\w*|affect\w*|alter\w*|impact)\b|\b(?:did|does|do|was|were|is|are)\s+not\b|\b(?:similar|comparable|unchanged|unaffected|unaltered|equivalent|non-?significant|insignificant|independent of|irrespective of)\b/i;
const INVERSE = /\b(?:inverse(?:ly)?|negative(?:ly)?)\s+(?:associat|correlat|relat)\w*/i;
// Not inside a compound ("cancer-associated fibroblasts" states no association).
const POSITIVE_ASSOCIATION = /(?<![-\w])(?:positive(?:ly)?\s+)?(?:associat|correlat|linked|predict)\w*(?![-\w])/i;
const RATIO =
  /\b(?:odds ratio|relative risk|risk ratio|hazard ratio|rate ratio|OR|RR|HR|IRR|aOR|aHR)\b[^0-9]{0,45}(\d+(?:\.\d+)?)(?:[^0-9]{0,12}(?:(?:9[059]|80)\s?%\s?)?(?:CI|confidence interval)?[^0-9]{0,8}?(\d+(?:\.\d+)?)\s*(?:-|–|to|,)\s*(\d+(?:\.\d+)?))?/;
/** Tokens either side of an outcome word within which a direction word is taken to act on it. */
const SCOPE = 6;

/** Reads the direction of one sentence with respect to the question's exposure and outcome. */
export function sentenceDirection(text: string, core: Pick<CoreFacets, 'exposure' | 'outcome'>): Direction {
  const tokens = tokenize(text);
  const stems = tokens.map((t) => stem(t));
  const exposure = exposureSign(stems, core.exposure);
  const effect = effectDirection(text, tokens, stems, core.outcome, core.exposure);
  return { exposure, effect, sign: effect === undefined ? undefined : effect === 0 ? 0 : ((effect * exposure) as -1 | 1) };
}

function effectDirection(
  text: string,
  tokens: readonly string[],
  stems: readonly string[],
  outcome: CompiledFacet | undefined,
  exposure: CompiledFacet | undefined,
): -1 | 0 | 1 | undefined {
  // "NO" in capitals is nitric oxide, not a negation.
  text = text.replace(/\bNO\b/g, 'nitric-oxide');
  const ratio = ratioDirection(text);
  const near = outcomePositions(stems, outcome);
  const exposureSpan = exposurePositions(stems, exposure);
  let up = 0;
  let down = 0;
  let negatedDirection = false;
  stems.forEach((s, i) => {
    const dir = UP.has(s) ? 1 : DOWN.has(s) ? -1 : 0;
    // "deficiency", "low" next to the exposure set its sign (exposureSign), not the effect.
    if (dir === 0 || exposureSpan.has(i)) return;
    // Outcome-scoped when the outcome is known; otherwise every direction word counts.
    if (near.length > 0 && !near.some((p) => Math.abs(p - i) <= SCOPE)) return;
    const negated = tokens.slice(Math.max(0, i - 3), i).some((t) => t.endsWith("n't") || NEGATION.has(stem(t)) || t === 'not' || t === 'no');
    if (negated) negatedDirection = true;
    else if (dir > 0) up++;
    else down++;
  });
  if (NULL_FINDING.test(text) && up === down) return 0;
  if (negatedDirection && up === 0 && down === 0) return 0;
  if (up > down) return 1;
  if (down > up) return -1;
  if (ratio !== undefined) return ratio;
  if (INVERSE.test(text)) return -1;
  if (POSITIVE_ASSOCIATION.test(text)) return 1;
  return undefined;
}

/** Direction of the first ratio with its CI: below 1 → -1, above → +1, a CI spanning 1 → 0. */
export function ratioDirection(text: string): -1 | 0 | 1 | undefined {
  const m = RATIO.exec(text);
  if (!m) return undefined;
  const point = Number(m[1]);
  if (!Number.isFinite(point) || point <= 0 || point > 50) return undefined;
  if (m[2] !== undefined && m[3] !== undefined) {
    const lo = Math.min(Number(m[2]), Number(m[3]));
    const hi = Math.max(Number(m[2]), Number(m[3]));
    if (lo <= 1 && hi >= 1) return 0;
  }
  if (point < 1) return -1;
  if (point > 1) return 1;
  return 0;
}

/** Positions of the words that modify the exposure's sign ("low vitamin D", "vitamin D deficiency"). */
function exposurePositions(stems: readonly string[], exposure: CompiledFacet | undefined): Set<number> {
  const out = new Set<number>();
  if (!exposure) return out;
  const first = exposure.anchor.stems[0]!;
  stems.forEach((s, i) => {
    if (s !== first && !(exposure.anchor.joined !== undefined && s === exposure.anchor.joined)) return;
    const end = s === first ? i + exposure.anchor.stems.length - 1 : i;
    for (let k = Math.max(0, i - 2); k < i; k++) if (NEGATIVE_BEFORE.has(stems[k]!)) out.add(k);
    for (let k = end + 1; k <= Math.min(stems.length - 1, end + 2); k++) if (NEGATIVE_AFTER.has(stems[k]!)) out.add(k);
  });
  return out;
}

function outcomePositions(stems: readonly string[], outcome: CompiledFacet | undefined): number[] {
  if (!outcome) return [];
  const words = new Set(outcome.terms.flatMap((t) => t.stems));
  const out: number[] = [];
  stems.forEach((s, i) => {
    if (words.has(s)) out.push(i);
  });
  return out;
}

/**
 * How a statement of sign `sign` answers a question asking about `asked` (-1 reduce, +1 increase, 0
 * any effect): +1 yes, -1 no, undefined when it says nothing either way.
 */
export function answerLean(asked: -1 | 0 | 1, sign: Direction['sign']): -1 | 1 | undefined {
  if (sign === undefined) return undefined;
  if (asked === 0) return sign === 0 ? -1 : 1;
  if (sign === 0) return -1;
  return sign === asked ? 1 : -1;
}
