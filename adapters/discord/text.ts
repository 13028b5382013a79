/**
 * Discord's size limits and the text helpers that keep every payload inside them: escaping untrusted
 * text for Discord markdown and truncating at word boundaries (never mid-word).
 * Limits: https://discord.com/developers/docs/resources/message#create-message-jsonform-params and
 * https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 */
import { escapeMarkdown } from 'discord.js';
import { cleanText } from '../../src/text/sanitize.js';

/** The platform limits the renderers design for. */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
  embeds: 10,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  selectOptions: 25,
  selectLabel: 100,
  selectDescription: 100,
  selectPlaceholder: 150,
  customId: 100,
  threadName: 100,
} as const;

const ELLIPSIS = '…';

/**
 * Escapes untrusted text (a question, a paper's title or quote) for Discord markdown: it is cleaned
 * first (controls, invisible characters and mention syntax neutralised), then every markdown
 * construct, masked links and `<…>` tags (mentions, timestamps, emoji) are escaped so it renders literally.
 */
export function escapeDiscord(text: string): string {
  const escaped = escapeMarkdown(cleanText(text), { heading: true, bulletedList: true, numberedList: true, maskedLink: true });
  return escaped.replace(/</g, '\\<').replace(/^>/, '\\>');
}

/**
 * Shortens `text` to at most `max` characters (UTF-16 units, as Discord counts) at a word boundary,
 * ending with an ellipsis. A single word longer than `max` is cut between code points, never inside one.
 */
export function truncateWords(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ''.padEnd(Math.max(0, max), '.');
  const room = max - ELLIPSIS.length;
  const head = text.slice(0, room + 1);
  const cut = head.search(/\s\S*$/);
  let kept: string;
  if (cut > 0) kept = text.slice(0, cut);
  else {
    kept = text.slice(0, room);
    // Do not leave half of a surrogate pair behind.
    if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  }
  // A trailing backslash would escape the ellipsis; trailing punctuation reads badly before it.
  kept = kept.replace(/[\s\\,;:–-]+$/, '');
  return `${kept}${ELLIPSIS}`;
}

/** Joins lines, dropping whole lines from the end (ending with a note of how many) to stay within `max`. */
export function joinLinesWithin(lines: readonly string[], max: number, more: (hidden: number) => string): string {
  const full = lines.join('\n');
  if (full.length <= max) return full;
  // prefix[k] = length of the first k lines joined.
  const prefix = [0];
  for (const [i, line] of lines.entries()) prefix.push(prefix[i]! + line.length + (i > 0 ? 1 : 0));
  for (let k = lines.length - 1; k > 0; k--) {
    const note = more(lines.length - k);
    if (prefix[k]! + 1 + note.length <= max) return `${lines.slice(0, k).join('\n')}\n${note}`;
  }
  return truncateWords(more(lines.length), max);
}
