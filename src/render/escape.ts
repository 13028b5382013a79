/** Escaping untrusted text (questions, titles, quotes) for Markdown output. */
import { cleanText } from '../text/sanitize.js';

/** Escapes Markdown metacharacters so paper or user text renders literally and cannot add structure. */
export function escapeMarkdown(text: string): string {
  // Enough to keep text literal inline: emphasis, code, links, HTML, table pipes, strike-through.
  return cleanText(text).replace(/([\\`*_[\]<>|~])/g, '\\$1');
}

/** Escapes text for a Markdown table cell (also folds newlines). */
export function escapeCell(text: string): string {
  return escapeMarkdown(text).replace(/\n/g, ' ');
}
