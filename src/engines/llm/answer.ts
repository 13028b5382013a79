/**
 * Guards on the structured part of the compose reply, before the core's own (`reconcileAnswer`,
 * `checkFindings`): the answer's basis keeps only ids of this run's claims, its text only valid
 * `[n]` citations; a finding must cite a paper the step was given, by its `Pn` id, and both its value
 * and its quote must be found verbatim in that paper, the value inside the quote. Everything removed
 * is counted in the run's rejections, so the limitations say so.
 */
import type { Answer, Claim, Finding, Paper, Reference } from '../../model.js';
import { quoteIsVerbatim } from '../../pipeline/invariants.js';
import { cleanText, normalizeWhitespace } from '../../text/sanitize.js';
import { checkCitations } from './citations.js';
import { abstractText, locateQuote, wholeSentences } from './papers.js';
import { MAX_MODEL_FINDINGS } from './prompts.js';
import type { RunState } from './run-state.js';
import type { ComposeReply } from './schemas.js';

/** Papers the compose step shows the model (cited ones first), for the findings table. */
export const MAX_COMPOSE_PAPERS = 8;

/** A paper as the compose step shows it: `Pn` is reference `[n]`. */
export interface ComposePaper {
  id: string;
  paper: Paper;
}

/** The papers for the compose prompt: the first {@link MAX_COMPOSE_PAPERS} references, named `P<reference number>`. */
export function composePapers(references: readonly Reference[], papers: readonly Paper[]): ComposePaper[] {
  const byId = new Map(papers.map((p) => [p.id, p]));
  const out: ComposePaper[] = [];
  for (const [i, ref] of references.entries()) {
    const paper = byId.get(ref.id);
    if (paper) out.push({ id: `P${i + 1}`, paper });
    if (out.length >= MAX_COMPOSE_PAPERS) break;
  }
  return out;
}

/** A compose paper as the prompt carries it. */
export function composePaperForPrompt(p: ComposePaper): { id: string; title: string; year?: number; abstract: string } {
  return { id: p.id, title: normalizeWhitespace(p.paper.title), ...(p.paper.year !== undefined ? { year: p.paper.year } : {}), abstract: abstractText(p.paper) };
}

/**
 * The model's answer with unknown claim ids removed from its basis (counted) and its citations
 * checked (invalid ones removed and counted); `fallbackText` stands in for a text left empty.
 */
export function checkModelAnswer(
  answer: ComposeReply['answer'],
  claims: readonly Claim[],
  referenceCount: number,
  fallbackText: string,
  state: RunState,
): Answer {
  const ids = new Set(claims.map((c) => c.id));
  const basis: string[] = [];
  for (const raw of answer.basis) {
    const id = raw.trim();
    if (!ids.has(id)) {
      state.rejections.answerBasis++;
      continue;
    }
    if (!basis.includes(id)) basis.push(id);
  }
  const checked = checkCitations(cleanText(answer.text), referenceCount);
  state.rejections.answerCitations += checked.dropped;
  return { verdict: answer.verdict, confidence: answer.confidence, basis, text: checked.text || fallbackText };
}

/**
 * The findings whose paper was given to the model and whose value and quote are verbatim in it (the
 * quote is restored to the paper's own text and widened to whole sentences, as claim quotes are);
 * the rest are counted. At most {@link MAX_MODEL_FINDINGS}.
 */
export function checkModelFindings(findings: ComposeReply['findings'], given: readonly ComposePaper[], state: RunState): Finding[] {
  const byAlias = new Map(given.map((p) => [p.id.toUpperCase(), p.paper]));
  const out: Finding[] = [];
  for (const f of findings) {
    const paper = byAlias.get(f.paperId.trim().toUpperCase());
    if (!paper) {
      state.rejections.findingPapers++;
      continue;
    }
    const value = normalizeWhitespace(f.value);
    const located = locateQuote(f.quote, paper);
    const quote = located && wholeSentences(located, paper);
    if (!value || !quote || !quoteIsVerbatim(value, paper) || !quote.includes(value)) {
      state.rejections.findingValues++;
      continue;
    }
    const subject = cleanText(f.subject);
    const measure = cleanText(f.measure);
    const condition = f.condition === null ? '' : cleanText(f.condition);
    if (!subject || !measure || out.length >= MAX_MODEL_FINDINGS) continue;
    out.push({ paperId: paper.id, subject, measure, value, ...(condition ? { condition } : {}), quote });
  }
  return out;
}
