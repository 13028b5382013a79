/**
 * Composition without a model: a title, and an abstract that answers the question directly and with
 * hedging, citing `[n]`. For a yes/no question the claims that state a direction are compared with the
 * question (negation and direction words) to say which way the evidence leans; the strongest claims
 * are quoted verbatim with their citations; coverage gaps are said plainly.
 */
import type { ComposeInput, Composition } from '../engine.js';
import type { Claim } from '../../model.js';
import { analyse, comparePair } from './stance.js';

/** Longest title, in characters (Slack headers take 150). */
export const MAX_TITLE_LENGTH = 150;

const YES_NO = /^(?:does|do|did|is|are|was|were|can|could|will|would|has|have|had|should|may|might)\b/i;

/** Shortens text at a word boundary, marking the cut with an ellipsis. */
export function shortenAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}

/** Which way a claim leans on a yes/no question: +1 yes, -1 no, 0 when it states no direction. */
export function leaning(question: string, claim: string): number {
  const q = analyse(question.replace(YES_NO, ''));
  const c = analyse(claim);
  const f = comparePair(q, c);
  if (c.negations === 0 && c.up + c.down === 0) return 0;
  const flipped = f.negationMismatch !== (f.directionConflict || f.strictDirectionConflict);
  return flipped ? -1 : 1;
}

function citeList(numbers: number[]): string {
  const unique = [...new Set(numbers)].sort((a, b) => a - b);
  return unique.length ? `[${unique.join(', ')}]` : '';
}

/** Writes the title and abstract. */
export function composeReport(input: ComposeInput): Composition {
  const title = shortenAtWord(`Evidence synthesis: ${input.question}`, MAX_TITLE_LENGTH);
  const refNumber = new Map(input.references.map((r, i) => [r.id, i + 1]));
  const cite = (claim: Claim) => refNumber.get(claim.paperId) ?? 0;
  const m = input.methodology;

  if (input.claims.length === 0) {
    const why =
      m.included === 0
        ? m.identified === 0
          ? 'The search returned no records.'
          : `Of ${m.identified} records found, none passed screening as relevant to the question.`
        : `${m.included} paper(s) were screened in, but none contains a sentence that answers the question.`;
    return {
      title,
      abstract: `This synthesis cannot answer the question from the retrieved literature. ${why} ${
        input.gaps.length ? `Not addressed: ${input.gaps.map((g) => g.replace(/\.$/, '')).join('; ')}.` : ''
      }`.trim(),
    };
  }

  const parts: string[] = [];
  const supported = input.claims.filter((c) => c.verification.verdict === 'supported');
  const contradicted = input.claims.filter((c) => c.verification.verdict === 'contradicted');
  const papersCited = new Set(input.claims.map((c) => c.paperId)).size;

  if (YES_NO.test(input.question)) {
    const votes = input.claims
      .filter((c) => c.verification.verdict !== 'contradicted')
      .map((c) => ({ c, lean: leaning(input.question, c.text), w: c.verification.verdict === 'supported' ? 1 + c.verification.confidence : 0.5 }))
      .filter((v) => v.lean !== 0);
    const yes = votes.filter((v) => v.lean > 0);
    const no = votes.filter((v) => v.lean < 0);
    const yesWeight = yes.reduce((s, v) => s + v.w, 0);
    const noWeight = no.reduce((s, v) => s + v.w, 0);
    const share = yesWeight + noWeight === 0 ? 0.5 : yesWeight / (yesWeight + noWeight);
    if (votes.length === 0) {
      parts.push(
        `The ${papersCited} included paper(s) bear on the question, but none of the extracted findings states a clear direction, so the evidence here does not give a yes-or-no answer ${citeList(input.claims.map(cite))}.`,
      );
    } else if (share >= 0.7) {
      parts.push(
        `The retrieved evidence tentatively suggests yes: ${yes.length} of ${votes.length} directional finding(s) point that way ${citeList(yes.map((v) => cite(v.c)))}${no.length ? `, while ${no.length} point the other way ${citeList(no.map((v) => cite(v.c)))}` : ''}.`,
      );
    } else if (share <= 0.3) {
      parts.push(
        `The retrieved evidence tentatively suggests no: ${no.length} of ${votes.length} directional finding(s) point that way ${citeList(no.map((v) => cite(v.c)))}${yes.length ? `, while ${yes.length} point the other way ${citeList(yes.map((v) => cite(v.c)))}` : ''}.`,
      );
    } else {
      parts.push(
        `The retrieved evidence is mixed: ${yes.length} directional finding(s) point towards yes ${citeList(yes.map((v) => cite(v.c)))} and ${no.length} towards no ${citeList(no.map((v) => cite(v.c)))}.`,
      );
    }
  } else {
    parts.push(`${input.claims.length} finding(s) from ${papersCited} included paper(s) address the question ${citeList(input.claims.map(cite))}.`);
  }

  const ranked = [...input.claims].sort(
    (a, b) =>
      Number(b.verification.verdict === 'supported') - Number(a.verification.verdict === 'supported') ||
      b.verification.confidence - a.verification.confidence,
  );
  for (const claim of ranked.slice(0, 2)) {
    const label = claim.verification.verdict === 'supported' ? 'A finding supported by other papers' : 'One paper reports';
    parts.push(`${label}: "${claim.text}" [${cite(claim)}]`);
  }
  parts.push(
    `Of the ${input.claims.length} claims, ${supported.length} ${supported.length === 1 ? 'is' : 'are'} supported by independent evidence, ${contradicted.length} ${contradicted.length === 1 ? 'is' : 'are'} contradicted and ${input.claims.length - supported.length - contradicted.length} lack sufficient evidence.`,
  );
  if (input.gaps.length > 0) {
    parts.push(`Not addressed by the retrieved sources: ${input.gaps.map((g) => g.replace(/\.$/, '')).join('; ')}.`);
  }
  parts.push('This is an automated synthesis of abstracts; check the cited papers before relying on it.');
  return { title, abstract: parts.join(' ') };
}
