/**
 * HTML templating for the web adapter: Hono's `html` tagged template, which escapes every interpolated
 * string (`& < > " '`) and keeps nested templates as they are, so untrusted text (questions, titles,
 * abstracts, quotes) can only ever be text. Nothing here builds markup by concatenating strings.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** Escaped HTML. */
export type Html = HtmlEscapedString;

/** The template tag: interpolated strings are escaped, templates and arrays of them kept. Synchronous (no promises are interpolated). */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return html(strings, ...values) as Html;
}

/** HTML that was escaped when it was rendered (a stored message), kept as it is. */
export function alreadyEscaped(text: string): Html {
  return raw(text);
}

/** Nothing, for conditional parts. */
export const empty: Html = raw('');

/** The escaped string of a template, for sending or storing. */
export function toHtml(template: Html): string {
  return String(template);
}

/**
 * Escaped text whose numbered citations (`[3]`, `[1, 2]`) become links to the references (`#ref-3`),
 * on the page that lists them (`base` '' for the same page, or the report page's path).
 */
export function withCitations(text: string, base: string, refCount: number): Html {
  const parts: Html[] = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d{1,4}(?:,\s*\d{1,4})*)\]/g)) {
    parts.push(h`${text.slice(last, match.index)}`);
    const numbers = match[1]!.split(/,\s*/).map(Number);
    const links = numbers.map((n, i) =>
      n >= 1 && n <= refCount ? h`${i > 0 ? ', ' : ''}<a href="${base}#ref-${n}" aria-label="${`reference ${n}`}">${n}</a>` : h`${i > 0 ? ', ' : ''}${n}`,
    );
    parts.push(h`[${links}]`);
    last = match.index + match[0].length;
  }
  parts.push(h`${text.slice(last)}`);
  return h`${parts}`;
}
