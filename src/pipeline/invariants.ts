/**
 * The guarantees the core enforces for every engine, in code:
 * - a claim's quote is found verbatim (after whitespace normalisation) in the title or abstract of the
 *   paper it cites, and its text is a complete sentence; otherwise it is dropped and counted;
 * - evidence comes from other papers of the run and its quotes are verbatim too;
 * - verdict and confidence agree: `supported`/`contradicted` need confidence >= 0.5 and at least one
 *   piece of evidence with that stance; `insufficient` always has confidence < 0.5;
 * - every cited paper is in the references.
 */
import type { Answer, Claim, ClaimDraft, Evidence, Finding, Paper, Reference, Review, Verification } from '../model.js';
import { compileTerms, matchesTerm } from '../text/match.js';
import { cleanText, normalizeWhitespace } from '../text/sanitize.js';
import { isCompleteSentence } from '../text/sentences.js';
import { termSet } from '../text/tokens.js';

/** The confidence a verdict needs; below it a claim is `insufficient`. */
export const VERDICT_THRESHOLD = 0.5;

/** Highest confidence an `insufficient` verdict can carry. */
export const MAX_INSUFFICIENT_CONFIDENCE = 0.49;

/** Why a claim draft was dropped. */
export type RejectionReason = 'quote not found in the cited paper' | 'unknown paper' | 'not a complete sentence' | 'duplicate';

/** True when `quote` occurs verbatim, after whitespace normalisation, in the paper's title or abstract. */
export function quoteIsVerbatim(quote: string, paper: Pick<Paper, 'title' | 'abstract' | 'sentences'>): boolean {
  const q = normalizeWhitespace(quote);
  if (q.length === 0) return false;
  if (normalizeWhitespace(paper.title).includes(q)) return true;
  if (normalizeWhitespace(paper.abstract).includes(q)) return true;
  return paper.sentences ? normalizeWhitespace(paper.sentences.join(' ')).includes(q) : false;
}

/** Checks drafts against the invariant; returns the accepted ones and the rejections with reasons. */
export function checkClaims(
  drafts: readonly ClaimDraft[],
  papersById: ReadonlyMap<string, Paper>,
): { accepted: ClaimDraft[]; rejected: { draft: ClaimDraft; reason: RejectionReason }[] } {
  const accepted: ClaimDraft[] = [];
  const rejected: { draft: ClaimDraft; reason: RejectionReason }[] = [];
  const seen = new Set<string>();
  for (const draft of drafts) {
    const paper = papersById.get(draft.paperId);
    const text = normalizeWhitespace(draft.text);
    let reason: RejectionReason | undefined;
    if (!paper) reason = 'unknown paper';
    else if (!quoteIsVerbatim(draft.quote, paper)) reason = 'quote not found in the cited paper';
    else if (!isCompleteSentence(text)) reason = 'not a complete sentence';
    else if (seen.has(text.toLowerCase())) reason = 'duplicate';
    if (reason) {
      rejected.push({ draft, reason });
      continue;
    }
    seen.add(text.toLowerCase());
    accepted.push({ text, paperId: draft.paperId, quote: normalizeWhitespace(draft.quote) });
  }
  return { accepted, rejected };
}

/**
 * Makes a verification obey the invariant: drops evidence from the claim's own paper, from papers not
 * in the run, or with quotes not found verbatim; then aligns verdict and confidence.
 */
export function reconcileVerification(
  verification: Verification,
  claim: ClaimDraft,
  papersById: ReadonlyMap<string, Paper>,
): { verification: Verification; droppedEvidence: number } {
  const evidence: Evidence[] = [];
  const seen = new Set<string>();
  let droppedEvidence = 0;
  for (const item of verification.evidence) {
    const paper = papersById.get(item.paperId);
    const key = `${item.paperId}\u0000${normalizeWhitespace(item.quote)}`;
    if (!paper || item.paperId === claim.paperId || !quoteIsVerbatim(item.quote, paper) || seen.has(key)) {
      droppedEvidence++;
      continue;
    }
    seen.add(key);
    evidence.push({ ...item, quote: normalizeWhitespace(item.quote) });
  }
  let { verdict } = verification;
  let confidence = Number.isFinite(verification.confidence) ? Math.min(1, Math.max(0, verification.confidence)) : 0;
  const needed = verdict === 'supported' ? 'supports' : verdict === 'contradicted' ? 'contradicts' : undefined;
  if (needed && !evidence.some((e) => e.stance === needed)) {
    verdict = 'insufficient';
    confidence = Math.min(confidence, 0.25);
  }
  if (verdict !== 'insufficient' && confidence < VERDICT_THRESHOLD) verdict = 'insufficient';
  if (verdict === 'insufficient') confidence = Math.min(confidence, MAX_INSUFFICIENT_CONFIDENCE);
  return { verification: { verdict, confidence: Math.round(confidence * 100) / 100, evidence }, droppedEvidence };
}

/**
 * The references of a report: every included paper, cited ones first in order of first citation
 * (claims, then their evidence), so `[n]` numbers are stable and every `paperId` resolves. Each
 * carries its paper's abstract (what a follow-up is answered from).
 */
export function buildReferences(claims: readonly Claim[], papers: readonly Paper[]): Reference[] {
  const order: string[] = [];
  const add = (id: string) => {
    if (!order.includes(id)) order.push(id);
  };
  for (const claim of claims) add(claim.paperId);
  for (const claim of claims) for (const e of claim.verification.evidence) add(e.paperId);
  for (const paper of papers) add(paper.id);
  const byId = new Map(papers.map((p) => [p.id, p]));
  return order
    .map((id) => byId.get(id))
    .filter((p): p is Paper => p !== undefined)
    .map((p) => {
      const ref: Reference = { id: p.id, title: p.title || '(untitled)', authors: p.authors };
      if (p.year !== undefined) ref.year = p.year;
      if (p.venue) ref.venue = p.venue;
      if (p.doi) ref.doi = p.doi;
      if (p.url) ref.url = p.url;
      // The paper's text travels with the report, so a follow-up can be answered from the report alone;
      // like everything else a report carries, with chat mention syntax made inert and no control characters.
      const abstract = p.abstract ? cleanText(p.abstract) : '';
      if (abstract) ref.abstract = abstract;
      return ref;
    });
}

/**
 * Coverage gaps: key terms of the question that no extracted claim, its evidence or its paper addresses, said
 * plainly, distinguishing "no retrieved source mentions it" from "sources mention it, no claim does".
 */
export function findGaps(keyTerms: readonly string[], claims: readonly Claim[], papers: readonly Paper[]): string[] {
  // A claim addresses a term when it, its evidence, or the paper it quotes names it (a trial "in
  // postmenopausal women" need not repeat the population in its results sentence).
  const cited = new Set(claims.map((c) => c.paperId));
  const citedText = papers.filter((p) => cited.has(p.id)).map((p) => `${p.title} ${p.abstract}`);
  const claimWords = termSet([...claims.flatMap((c) => [c.text, ...c.verification.evidence.map((e) => e.quote)]), ...citedText].join(' '));
  const paperWords = papers.map((p) => termSet(`${p.title} ${p.abstract}`));
  const gaps: string[] = [];
  for (const matcher of compileTerms(keyTerms)) {
    if (matchesTerm(matcher, claimWords)) continue;
    const mentioning = paperWords.filter((w) => matchesTerm(matcher, w)).length;
    gaps.push(
      mentioning === 0
        ? `No retrieved source addresses "${matcher.term}".`
        : `"${matcher.term}" is mentioned in ${mentioning} included paper(s) but in none of the extracted claims.`,
    );
  }
  return gaps;
}

/** Highest quality score a report with coverage gaps can get. */
export const MAX_SCORE_WITH_GAPS = 5;

/** Highest quality score a report without claims can get: it may be honest, but it answers nothing. */
export const MAX_SCORE_WITHOUT_CLAIMS = 3.5;

/**
 * Aggregates reviewer scores: the mean, one decimal, capped at 5 with gaps and at 3.5 without claims
 * (a report that honestly finds nothing can still score above one whose claims are off topic).
 */
export function aggregateScore(reviews: readonly Review[], gaps: readonly string[], claimCount: number): number {
  if (reviews.length === 0) return 0;
  let score = reviews.reduce((s, r) => s + Math.min(10, Math.max(0, r.score)), 0) / reviews.length;
  if (gaps.length > 0) score = Math.min(score, MAX_SCORE_WITH_GAPS);
  if (claimCount === 0) score = Math.min(score, MAX_SCORE_WITHOUT_CLAIMS);
  return Math.round(score * 10) / 10;
}

/**
 * Makes the answer agree with the claims it rests on, whatever the engine wrote:
 * - `basis` keeps only ids of this report's claims;
 * - a `yes` or `no` needs at least one basis claim that is not contradicted; with none it becomes
 *   `insufficient`; when some basis claims are contradicted by independent evidence it becomes `mixed`;
 * - `high` confidence needs a basis claim supported by independent evidence and at least two papers
 *   behind the basis; `medium` needs one of the two; otherwise `low`.
 * Returns the answer and whether it was changed.
 */
export function reconcileAnswer(
  answer: Answer,
  claims: readonly Claim[],
  references: readonly Reference[] = [],
): { answer: Answer; changed: boolean } {
  const byId = new Map(claims.map((c) => [c.id, c]));
  const basis = [...new Set(answer.basis)].filter((id) => byId.has(id));
  const basisClaims = basis.map((id) => byId.get(id)!);
  let { verdict, confidence } = answer;
  if (verdict === 'yes' || verdict === 'no') {
    const standing = basisClaims.filter((c) => c.verification.verdict !== 'contradicted');
    if (standing.length === 0) verdict = 'insufficient';
    else if (standing.length < basisClaims.length) verdict = 'mixed';
  }
  if (verdict === 'yes' || verdict === 'no' || verdict === 'mixed') {
    const supported = basisClaims.some((c) => c.verification.verdict === 'supported');
    const papers = new Set(basisClaims.flatMap((c) => [c.paperId, ...c.verification.evidence.map((e) => e.paperId)])).size;
    const ceiling = supported && papers >= 2 ? 'high' : supported || papers >= 2 ? 'medium' : 'low';
    confidence = RANK[confidence] <= RANK[ceiling] ? confidence : ceiling;
  } else if (confidence === 'high') {
    // "insufficient" and "not-applicable" say how sure the engine is that nothing decides it; never "high" on nothing.
    confidence = basisClaims.length === 0 ? 'medium' : confidence;
  }
  // A verdict the core had to correct is never held with more than low confidence.
  if (verdict !== answer.verdict) confidence = 'low';
  const changed = verdict !== answer.verdict || confidence !== answer.confidence || basis.length !== answer.basis.length;
  // A verdict the core changed gets the core's own words, so the text cannot say what the verdict does not.
  const text = verdict === answer.verdict ? answer.text : correctedText(verdict, basisClaims, references);
  return { answer: { verdict, confidence, basis, text }, changed };
}

function correctedText(verdict: Answer['verdict'], basis: readonly Claim[], references: readonly Reference[]): string {
  const numbers = [...new Set(basis.map((c) => references.findIndex((r) => r.id === c.paperId) + 1).filter((n) => n > 0))].sort((a, b) => a - b);
  const cites = numbers.length > 0 ? ` [${numbers.join(', ')}]` : '';
  if (verdict === 'mixed') return `Mixed: the findings this answer rests on${cites} are contradicted by other included papers.`;
  return `Insufficient evidence: no finding that is not contradicted decides the question${cites}.`;
}

const RANK = { low: 0, medium: 1, high: 2 } as const;

/** Most findings kept in a report. */
export const MAX_FINDINGS = 40;

/**
 * Keeps the findings whose paper is included and whose value (and quote, when given) is found verbatim
 * in that paper; returns them with the number dropped.
 */
export function checkFindings(findings: readonly Finding[], papersById: ReadonlyMap<string, Paper>): { findings: Finding[]; dropped: number } {
  const kept: Finding[] = [];
  let dropped = 0;
  const seen = new Set<string>();
  for (const f of findings) {
    const paper = papersById.get(f.paperId);
    const key = `${f.paperId}\u0000${f.subject}\u0000${f.measure}\u0000${f.value}`;
    if (!paper || !f.value.trim() || !quoteIsVerbatim(f.value, paper) || (f.quote !== undefined && !quoteIsVerbatim(f.quote, paper))) {
      dropped++;
      continue;
    }
    if (seen.has(key) || kept.length >= MAX_FINDINGS) continue;
    seen.add(key);
    kept.push({ ...f, value: normalizeWhitespace(f.value), ...(f.quote !== undefined ? { quote: normalizeWhitespace(f.quote) } : {}) });
  }
  return { findings: kept, dropped };
}
