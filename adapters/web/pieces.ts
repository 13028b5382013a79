/**
 * Pieces the web answer and the report page share: verdict labels (a word and a symbol, so colour is
 * never the only cue), reference lines with their links, and a claim's quote and evidence.
 */
import type { Claim, Reference, Report } from '../../src/model.js';
import { confidenceWords } from '../shared/glance.js';
import { referenceLink } from '../shared/reference-link.js';
import { empty, h, type Html } from './html.js';

/** Each claim verdict: a word, a symbol and a class for colour. */
export const VERDICT: Record<Claim['verification']['verdict'], { label: string; symbol: string; cls: string }> = {
  supported: { label: 'Supported', symbol: '✓', cls: 'v-supported' },
  contradicted: { label: 'Contradicted', symbol: '✗', cls: 'v-contradicted' },
  insufficient: { label: 'Insufficient evidence', symbol: '?', cls: 'v-insufficient' },
};

/** `[n]` numbers of a report's references, in the order they are listed. */
export function referenceNumbers(report: Report): Map<string, number> {
  return new Map(report.references.map((r, i) => [r.id, i + 1]));
}

/** The verdict as a badge: symbol (hidden from screen readers) and word. */
export function verdictBadge(claim: Claim): Html {
  const v = VERDICT[claim.verification.verdict];
  return h`<span class="verdict ${v.cls}"><span aria-hidden="true">${v.symbol}</span> ${v.label}</span>`;
}

/** `high confidence (0.82)`. */
export function confidenceText(confidence: number, withNumber = true): string {
  return `${confidenceWords(confidence)} confidence${withNumber ? ` (${confidence.toFixed(2)})` : ''}`;
}

/** A citation `[n]` linking to the reference on the report page (`base` + `#ref-n`). */
export function cite(paperId: string, refs: Map<string, number>, base: string): Html {
  const n = refs.get(paperId);
  return n ? h`<a class="cite" href="${base}#ref-${n}" aria-label="${`reference ${n}`}">[${n}]</a>` : h`<span class="cite">[?]</span>`;
}

/** Authors in short: up to three, then "et al.". */
export function authorsShort(authors: readonly string[]): string {
  return authors.length > 3 ? `${authors.slice(0, 3).join(', ')} et al.` : authors.join(', ');
}

/** A reference: authors (year). Title. Venue. Its link (DOI, URL, PubMed, arXiv…) or, for a corpus paper, its id. */
export function referenceBody(ref: Reference): Html {
  const link = referenceLink(ref);
  const authors = authorsShort(ref.authors);
  return h`${authors ? h`<span class="authors">${authors}</span> ` : empty}${ref.year ? h`(${ref.year}). ` : authors ? '. ' : empty}<cite class="title">${ref.title}</cite>${/[.?!]$/.test(ref.title) ? '' : '.'}${ref.venue ? h` <span class="venue">${ref.venue}</span>.` : empty} ${
    link ? h`<a class="ref-link" href="${link}" rel="noopener noreferrer nofollow">${link}</a>` : h`<span class="ref-id">${ref.id}</span>`
  }`;
}

/** The claim's own quote and the evidence for and against it, each quote verbatim and cited. */
export function claimEvidence(report: Report, claim: Claim, refs: Map<string, number>, base: string): Html {
  const byId = new Map(report.references.map((r) => [r.id, r]));
  const own = byId.get(claim.paperId);
  const forIt = claim.verification.evidence.filter((e) => e.stance === 'supports');
  const against = claim.verification.evidence.filter((e) => e.stance === 'contradicts');
  const list = (items: typeof forIt, cls: string) =>
    h`<ul class="evidence ${cls}">${items.map((e) => {
      const ref = byId.get(e.paperId);
      return h`<li><blockquote class="quote">${e.quote}</blockquote><p class="source">${cite(e.paperId, refs, base)} ${ref ? ref.title : e.paperId}${ref?.year ? h` (${ref.year})` : empty}</p></li>`;
    })}</ul>`;
  return h`<div class="claim-evidence">
<p class="label">Verbatim quote from ${cite(claim.paperId, refs, base)} ${own ? own.title.replace(/\.$/, '') : claim.paperId}${own?.year ? h` (${own.year})` : empty}:</p>
<blockquote class="quote own">${claim.quote}</blockquote>
<p class="confidence">${VERDICT[claim.verification.verdict].label}, ${confidenceText(claim.verification.confidence)}.</p>
${
  forIt.length + against.length === 0
    ? h`<p class="no-evidence">No independent evidence was found in the other included papers.</p>`
    : h`${forIt.length > 0 ? h`<p class="label"><span aria-hidden="true">+</span> Evidence for (${forIt.length})</p>${list(forIt, 'for')}` : empty}${
        against.length > 0 ? h`<p class="label"><span aria-hidden="true">−</span> Evidence against (${against.length})</p>${list(against, 'against')}` : empty
      }`
}
</div>`;
}
