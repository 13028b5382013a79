/**
 * Neutralising untrusted text (a user's question, a paper's title or abstract) before it reaches any
 * output: control and invisible formatting characters go, chat mention syntax becomes plain text.
 * Platform-specific escaping (Slack's `&<>`, Discord's allowed mentions) is the adapters' job on top.
 */
import { UsageError } from '../errors.js';
import { STOPWORDS, tokenize } from './tokens.js';

/**
 * The longest question accepted, in characters after normalisation: characters as a reader counts
 * them (grapheme clusters, see {@link characterCount}), so 1,000 emoji or flags fit as 1,000 letters do.
 */
export const MAX_QUESTION_LENGTH = 1000;

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Characters as a reader sees them: grapheme clusters, not UTF-16 code units (an emoji is two of
 * those, a flag four) nor code points (a flag is two, a letter with a combining accent two).
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of GRAPHEMES.segment(text)) count++;
  return count;
}

// C0/C1 controls, zero-width and bidirectional formatting characters (U+200B-U+200F, U+202A-U+202E,
// U+2060-U+2069, U+FEFF): invisible in chat, and able to reorder or hide what a reader sees.
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

/** Removes control and invisible formatting characters; tabs and newlines become spaces. */
export function stripControl(text: string): string {
  return text.replace(/[\t\n\r]/g, ' ').replace(INVISIBLE, '');
}

// Whole escape sequences: CSI (ESC [ or C1 CSI) with its parameters, OSC (ESC ] or C1 OSC) up to its
// terminator (or the end of the line), DCS/SOS/PM/APC strings, and two-character ESC sequences. Cut
// whole, so no "[2J" is left.
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|\][^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)?|[PX^_][^\u001b\u009c\n]*(?:\u001b\\|\u009c)?|[ -~]?)|\u009b[0-?]*[ -/]*[@-~]?|[\u009d\u0090\u0098\u009e\u009f][^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)?/g;
// Every C0 control but tab and newline, DEL and every C1 control.
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text as it may be written to a terminal: escape sequences (which can clear the screen, move the
 * cursor, set the window title or a hyperlink) and every other control character but tab and newline
 * are removed, carriage returns included. The CLI passes everything it prints that carries outside
 * text through this; only its own line rewrite (`\r\x1b[K`) is added after.
 */
export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(TERMINAL_CONTROL, '');
}

/** Collapses every run of whitespace (including non-breaking spaces) to one space and trims. */
export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Turns Slack and Discord mention syntax into inert plain text: `<@U123>` and `<@!123>` become
 * `@U123`/`@123`, `<!channel>` becomes `@channel`, `<#C1|general>` becomes `#general`,
 * `<https://x|label>` becomes `label (https://x)`, `<@&role>` becomes `@role`.
 */
export function neutralizeMentions(text: string): string {
  // Mention syntax nested in mention syntax ("<<<@1|2>|123…>>") re-forms a mention once the inner one
  // is made inert: repeat until nothing changes (each pass shortens the text, so this ends).
  let current = text;
  for (;;) {
    const next = neutralizeOnce(current);
    if (next === current) return next;
    current = next;
  }
}

function neutralizeOnce(text: string): string {
  return text
    .replace(/<(https?:\/\/[^|>\s]+)\|([^>]*)>/g, (_m, url: string, label: string) => `${label} (${url})`)
    .replace(/<(https?:\/\/[^>\s]+)>/g, '$1')
    .replace(/<!subteam\^[^|>]*\|@?([^>]*)>/g, '@$1')
    .replace(/<!(channel|here|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>/g, (_m, kind: string, label?: string) => `@${label ?? kind}`)
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<#([A-Z0-9]+)>/g, '#$1')
    .replace(/<@[!&]?([A-Za-z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `@${label ?? id}`);
}

/** Cleans untrusted text for any output: no controls or invisible characters, no live mentions. */
export function cleanText(text: string): string {
  return normalizeWhitespace(neutralizeMentions(stripControl(text)));
}

/** Words that frame a question without naming what it is about ("Is it true that ...?"). */
const FRAME_WORDS = new Set('true case known correct evidence question yes please tell explain'.split(' '));

/**
 * True when the question names something to search for: a word that is not a stopword, a frame word
 * or a chat mention ("@channel", "#general"). "???", "@channel" or "Is it true that?" do not.
 */
export function hasSubject(question: string): boolean {
  return tokenize(question.replace(/(^|\s)[@#][\p{L}\p{N}_.-]+/gu, '$1')).some(
    (t) => /\p{L}/u.test(t) && !STOPWORDS.has(t) && !FRAME_WORDS.has(t),
  );
}

/**
 * Validates and cleans a research question. Throws a {@link UsageError} for an empty question, one
 * with nothing to search for, or one longer than {@link MAX_QUESTION_LENGTH} characters.
 */
export function sanitizeQuestion(raw: string): string {
  const question = cleanText(raw);
  if (question.length === 0) {
    throw new UsageError('The question is empty. Ask a research question, e.g. "Does vitamin D reduce fracture risk?"');
  }
  // A character is at least one code unit, so only a question longer in code units needs counting;
  // one far longer is refused without counting (segmenting is slow on very long text: seconds at 100k).
  if (question.length > MAX_QUESTION_LENGTH * 8) {
    throw new UsageError(`The question is over ${(MAX_QUESTION_LENGTH * 8).toLocaleString('en')} characters long; the limit is ${MAX_QUESTION_LENGTH}. Shorten it to its core question.`);
  }
  const length = question.length > MAX_QUESTION_LENGTH ? characterCount(question) : question.length;
  if (length > MAX_QUESTION_LENGTH) {
    throw new UsageError(`The question is ${length} characters long; the limit is ${MAX_QUESTION_LENGTH}. Shorten it to its core question.`);
  }
  if (!hasSubject(question)) {
    throw new UsageError('The question names nothing to search for (only question words, mentions or punctuation). Ask about a subject, e.g. "Does vitamin D reduce fracture risk?"');
  }
  return question;
}
