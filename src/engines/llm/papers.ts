/**
 * Papers as the model sees them: short aliases (`P1`, `P2`, ... in the order of the included papers)
 * instead of long source ids, so a reply can only cite a paper by an alias the engine hands out, and
 * the text the quotes must come from.
 */
import type { Paper } from '../../model.js';
import { normalizeWhitespace } from '../../text/sanitize.js';
import { paperSentences } from '../../text/sentences.js';

/** Typographic variants a model may swap when copying (curly quotes, dashes), folded one character for one. */
const FOLD: Readonly<Record<string, string>> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  '\u2032': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u201F': '"',
  '\u2033': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
};

/** Folds case and typographic variants, keeping every character's position (so spans map back). */
function fold(text: string): string {
  let out = '';
  for (const ch of text) {
    const folded = FOLD[ch] ?? ch.toLowerCase();
    out += folded.length === ch.length ? folded : ch;
  }
  return out;
}

/**
 * The paper's own text for a quote the model copied: the quote itself when it is verbatim, else the
 * span of the title or abstract that differs from it only in case, curly quotes or dashes (models
 * retype those). Undefined when the paper does not contain it: the quote is fabricated or altered.
 * What is returned is always verbatim in the paper, so the core's check holds.
 */
export function locateQuote(quote: string, paper: Pick<Paper, 'title' | 'abstract' | 'sentences'>): string | undefined {
  const raw = normalizeWhitespace(quote);
  // Some models wrap the quote in quotation marks of their own.
  const bare = raw.replace(/^["'\u2018\u2019\u201C\u201D]+/u, '').replace(/["'\u2018\u2019\u201C\u201D]+$/u, '');
  const texts = [paper.title, paper.abstract, ...(paper.sentences ? [paper.sentences.join(' ')] : [])].map(normalizeWhitespace);
  for (const q of raw === bare ? [raw] : [raw, bare]) {
    if (q.length < 8) continue;
    for (const text of texts) if (text.includes(q)) return q;
    const folded = fold(q);
    for (const text of texts) {
      const at = fold(text).indexOf(folded);
      if (at >= 0) return text.slice(at, at + q.length);
    }
  }
  return undefined;
}

/**
 * Widens a located quote to the whole sentence(s) it lies in, so no quote starts or ends mid-sentence
 * (and evaluation can match it to SciFact's rationale sentences). A quote from the title is kept.
 */
export function wholeSentences(quote: string, paper: Pick<Paper, 'abstract' | 'sentences'>): string {
  const sentences = paperSentences(paper);
  const joined = sentences.join(' ');
  const at = joined.indexOf(quote);
  if (at < 0) return quote;
  const end = at + quote.length;
  let offset = 0;
  let from = -1;
  let to = -1;
  for (const sentence of sentences) {
    const next = offset + sentence.length;
    if (from < 0 && at < next) from = offset;
    if (end <= next) {
      to = next;
      break;
    }
    offset = next + 1;
  }
  return from >= 0 && to >= 0 ? joined.slice(from, to) : quote;
}

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
