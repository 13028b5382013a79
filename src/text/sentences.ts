/**
 * Sentence splitting and the "complete sentence" check. Splitting uses `sbd`, which measured best on
 * SciFact's gold sentence boundaries (recall 0.993, precision 0.975; see README).
 */
import sbd from 'sbd';
import { normalizeWhitespace } from './sanitize.js';
import { parseSectionLabel } from './section-labels.js';

const SBD_OPTIONS = { newline_boundaries: false, html_boundaries: false, sanitize: false } as const;

/** Splits plain text into sentences; each is trimmed, empty ones are dropped. */
export function splitSentences(text: string): string[] {
  const clean = normalizeWhitespace(text);
  if (!clean) return [];
  return sbd
    .sentences(clean, SBD_OPTIONS)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A paper's abstract as sentences: the source's own split when it has one, else {@link splitSentences}. */
export function paperSentences(paper: { abstract: string; sentences?: string[] | undefined }): string[] {
  if (paper.sentences && paper.sentences.length > 0) {
    return paper.sentences.map((s) => normalizeWhitespace(s)).filter((s) => s.length > 0);
  }
  return splitSentences(paper.abstract);
}

const ABBREVIATION_ENDINGS = /\b(?:et al|e\.g|i\.e|vs|cf|approx|Fig|Figs|Eq|Ref|No|Dr|Mr|Mrs|Prof)\.$/i;

/**
 * True for a complete sentence: it opens like a sentence (a capital, a digit, an opening quote or
 * bracket, or a lower-case symbol such as `p53`/`mTOR`), ends with `.`, `!` or `?` (optionally
 * followed by a closing quote or bracket), is not cut at an abbreviation, and has at least four words.
 */
export function isCompleteSentence(text: string): boolean {
  const s = normalizeWhitespace(text);
  if (s.length < 12) return false;
  if (s.split(' ').length < 4) return false;
  if (!/[.!?]["'”’)\]]?$/.test(s)) return false;
  if (s.endsWith('...') || s.endsWith('…')) return false;
  if (ABBREVIATION_ENDINGS.test(s)) return false;
  const first = s.match(/^["'“‘([]?(\S+)/)?.[1] ?? '';
  if (/^\p{Lu}|^\p{N}/u.test(first)) return true;
  // Lower-case openings are fine for symbols (p53, mTOR, iPSC-derived, γ-secretase), not for fragments.
  if (/^[α-ω]/u.test(first)) return true;
  return /^\p{Ll}/u.test(first) && /[\p{Lu}\p{N}]/u.test(first.replace(/[^\p{L}\p{N}]+$/u, ''));
}

/**
 * Strips a structured-abstract label (`RESULTS:`, `Conclusions.`, SciFact's `RESULTS Of the 32,441`,
 * `CONCLUSIONS - `, `DESIGN, SETTING, AND PARTICIPANTS`, `AUTHORS' CONCLUSIONS`) from a sentence's start;
 * the labels are those of `section-labels.ts`.
 */
export function stripSectionLabel(sentence: string): string {
  return parseSectionLabel(sentence)?.text ?? sentence;
}
