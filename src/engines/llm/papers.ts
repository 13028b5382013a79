/**
 * Papers as the model sees them: short aliases (`P1`, `P2`, ... in the order of the included papers)
 * instead of long source ids, so a reply can only cite a paper by an alias the engine hands out, and
 * the text the quotes must come from.
 */
import type { Paper } from '../../model.js';
import { normalizeWhitespace } from '../../text/sanitize.js';
import { paperSentences } from '../../text/sentences.js';

/** Longest abstract passed to the model, in characters; longer ones are cut at a sentence end. */
export const MAX_ABSTRACT_CHARS = 4_000;

/** The alias of the paper at `index` of the included papers. */
export function aliasOf(index: number): string {
  return `P${index + 1}`;
}

/** The paper an alias names, or undefined for an alias the engine never handed out. */
export function paperByAlias(papers: readonly Paper[], alias: string): Paper | undefined {
  const m = alias.trim().match(/^P(\d{1,4})$/i);
  return m ? papers[Number(m[1]) - 1] : undefined;
}

/** The abstract as the model sees it: whole sentences, at most {@link MAX_ABSTRACT_CHARS} characters. */
export function abstractText(paper: Paper): string {
  const sentences = paperSentences(paper);
  let text = '';
  for (const s of sentences) {
    if (text.length + s.length + 1 > MAX_ABSTRACT_CHARS && text) break;
    text = text ? `${text} ${s}` : s;
  }
  return normalizeWhitespace(text || paper.abstract);
}

/** A paper for the extract prompt. */
export function paperForPrompt(paper: Paper, index: number): { id: string; title: string; year?: number; abstract: string } {
  return { id: aliasOf(index), title: normalizeWhitespace(paper.title), ...(paper.year !== undefined ? { year: paper.year } : {}), abstract: abstractText(paper) };
}
