/**
 * Text for Slack: untrusted text (a question, a paper's title or quote) is cleaned by the core
 * (`cleanText`: no controls, mention syntax made inert) and then escaped for mrkdwn (`&`, `<`, `>`),
 * so nothing the bot posts can mention `@channel`, `@here` or a user, or smuggle in a link.
 * Shortening is always at a word boundary with an ellipsis, never mid-word.
 * See https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
import { cleanText } from '../../src/text/sanitize.js';

/** The ellipsis that marks shortened text. */
export const ELLIPSIS = '…';

/** Escapes Slack's three control characters. Apply to text that is already clean. */
export function escapeControl(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Untrusted text as mrkdwn: cleaned, then escaped. */
export function mrkdwnText(text: string): string {
  return escapeControl(cleanText(text));
}

/**
 * Untrusted text for a `plain_text` object (headers, button labels): cleaned only. Slack neither
 * parses mentions in `plain_text` nor expects entities there, so `&` is sent as it is.
 */
export function plainText(text: string): string {
  return cleanText(text);
}

/**
 * Shortens text to at most `max` characters at a word boundary, ending with an ellipsis. A single
 * word longer than the limit (a URL, a chemical name) is the only case cut inside a word.
 */
export function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, max);
  const room = max - ELLIPSIS.length;
  const head = text.slice(0, room + 1);
  const space = head.search(/\s\S*$/);
  let cut = space > 0 ? head.slice(0, space) : text.slice(0, room);
  // Do not leave half an escape (`&am`) or dangling punctuation before the ellipsis.
  cut = cut.replace(/&[a-z]{0,3}$/, '').replace(/(?:[\s,:–-]|(?<!&(?:amp|lt|gt));)+$/, '');
  return `${cut}${ELLIPSIS}`;
}

/** Untrusted text as mrkdwn, shortened to `max` characters after escaping. */
export function mrkdwnShort(text: string, max: number): string {
  return truncateAtWord(mrkdwnText(text), max);
}

/** Untrusted text for `plain_text`, shortened to `max` characters. */
export function plainShort(text: string, max: number): string {
  return truncateAtWord(plainText(text), max);
}

/** The longest URL the bot links to; longer ones are shown without a link. */
export const MAX_URL_LENGTH = 500;

/**
 * A safe http(s) URL for a mrkdwn link, or undefined. Characters that would end or split Slack's
 * `<url|label>` syntax are percent-encoded.
 */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  const href = parsed.href.replace(/[<>|\s"]/g, (c) => encodeURIComponent(c));
  return href.length <= MAX_URL_LENGTH ? href : undefined;
}

/** A mrkdwn link `<url|label>`; `label` must already be mrkdwn. Without a usable URL, only the label. */
export function link(url: string | undefined, label: string): string {
  // Slack reads entities inside links too (and sends URLs back with `&amp;`), so `&` is escaped there as well.
  const href = safeUrl(url)?.replace(/&/g, '&amp;');
  return href && href.length <= MAX_URL_LENGTH ? `<${href}|${label}>` : label;
}

/** True for a Slack user id as Slack sends it (`U…` or `W…`), safe to put in `<@…>`. */
export function isUserId(id: string): boolean {
  return /^[UW][A-Z0-9]{2,20}$/.test(id);
}

/** A user mention `<@U123>` for a Slack user id; anything else becomes inert text. */
export function mentionUser(id: string): string {
  return isUserId(id) ? `<@${id}>` : mrkdwnText(id);
}
