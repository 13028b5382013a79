/**
 * What every chat platform's answer shows at a glance, decided once: the verdict badge, confidence in
 * words, which claims are shown inline, and when a claim's quote would only repeat the claim.
 */
import type { Answer, Claim, Report } from '../../src/model.js';
import { bottomLine } from '../../src/render/bottom-line.js';

/** Claims shown inline under the answer; the rest are behind "All claims (N)". */
export const INLINE_CLAIMS = 3;

/** A claim's confidence in words: low below 0.5, medium below 0.75, high from 0.75. */
export function confidenceWords(confidence: number): 'low' | 'medium' | 'high' {
  return confidence < 0.5 ? 'low' : confidence < 0.75 ? 'medium' : 'high';
}

/** The badge of each answer verdict (Unicode emoji: they render in Slack headers, notifications and Discord alike). */
export const ANSWER_BADGE: Record<Answer['verdict'], string> = {
  yes: '✅',
  no: '❌',
  mixed: '⚖️',
  insufficient: '❔',
  'not-applicable': '📝',
};

/** The bottom line with its verdict badge, `✅ Yes (medium confidence)`; undefined for a report without an answer. */
export function answerLine(report: Pick<Report, 'answer'>): string | undefined {
  const line = bottomLine(report.answer);
  return line && report.answer ? `${ANSWER_BADGE[report.answer.verdict]} ${line}` : undefined;
}

/**
 * The claims shown inline, in report order: the claims the answer rests on (`answer.basis`) first,
 * then the earliest others, up to {@link INLINE_CLAIMS}.
 */
export function inlineClaims(report: Report): Claim[] {
  const basis = new Set(report.answer?.basis ?? []);
  const ranked = [...report.claims.filter((c) => basis.has(c.id)), ...report.claims.filter((c) => !basis.has(c.id))];
  const picked = new Set(ranked.slice(0, INLINE_CLAIMS).map((c) => c.id));
  return report.claims.filter((c) => picked.has(c.id));
}

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[“”"'‘’]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/[\s.;:,!?]+$/, '')
    .trim();

/**
 * True when showing the quote under the claim would repeat it: the same text once case, quotes,
 * spacing and final punctuation are set aside, or the claim is the quote less a short label
 * ("CONCLUSIONS: …").
 */
export function quoteRepeatsClaim(claim: Pick<Claim, 'text' | 'quote'>): boolean {
  const text = normalise(claim.text);
  const quote = normalise(claim.quote);
  if (text === quote) return true;
  return text.length > 0 && quote.endsWith(text) && quote.length - text.length <= 30;
}

/**
 * What a follow-up's answer says of where it came from (undefined for a run of its own): from the
 * thread's papers, or from a wider search because they did not answer it.
 */
export function followUpLine(report: Pick<Report, 'followUp' | 'references' | 'revision' | 'addition'>): string | undefined {
  if (report.addition) return report.addition.changes ?? `Added ${report.addition.requested ?? report.addition.paper} to this thread's papers.`;
  if (report.revision) return `Revision of this thread's question (${report.revision.refinement}).`;
  const followUp = report.followUp;
  if (!followUp) return undefined;
  return followUp.scope === 'thread'
    ? `Follow-up “${followUp.question}”, answered from this thread's ${report.references.length} ${report.references.length === 1 ? 'paper' : 'papers'}.`
    : `Follow-up “${followUp.question}”: the papers of this thread did not answer it, so the search was widened.`;
}

/** "⚑ flagged by 2" for a claim the team flagged, else ''. */
export function flaggedNote(claim: Pick<Claim, 'flags'>): string {
  const n = claim.flags?.length ?? 0;
  return n > 0 ? `⚑ flagged by ${n}` : '';
}

/** The thread commands, shown under an answer as a hint (plain text; each platform formats it). */
export const THREAD_HINT = 'Ask a follow-up in this thread (mention me), or: explain claim 2 · add <DOI, arXiv or PubMed id> · since 2020 · more papers';
