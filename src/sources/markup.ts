/**
 * Turning the markup some APIs put in abstracts (Crossref's JATS, HTML fragments, PubMed's inline
 * tags and MathML) into plain text. Section titles are kept as labels (`Objective: ...`); a leading
 * "Abstract"/"Summary" heading is dropped. The result is cleaned with the core's sanitisers.
 */
import { normalizeWhitespace, stripControl } from '../text/sanitize.js';
import { contentOf, parseXml, tagOf, textOf, type XmlNode } from './xml.js';

const HEADING_ONLY = /^(?:abstract|summary|graphical abstract)$/i;
const BLOCKS = new Set(['p', 'sec', 'list', 'list-item', 'def-list', 'def-item', 'table', 'tr', 'td', 'th', 'br', 'div', 'li', 'ul', 'ol', 'disp-quote']);

/** Cleans untrusted plain text: no control or invisible characters, single spaces. */
export function cleanPlain(text: string): string {
  return normalizeWhitespace(stripControl(text));
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Decodes numeric and the basic named entities, repeatedly (at most three rounds) because scholarly
 * metadata is often escaped twice (`&amp;lt;75 K`).
 */
export function decodeEntities(text: string): string {
  let out = text;
  for (let round = 0; round < 3; round++) {
    const next = decodeOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

function decodeOnce(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name.toLowerCase()] ?? whole;
  });
}

const FORMULAS = new Set(['inline-formula', 'disp-formula', 'alternatives']);

/** The first element named `tag` in `node`'s subtree (depth first). */
function find(node: XmlNode, tag: string): XmlNode | undefined {
  for (const child of contentOf(node)) {
    if (tagOf(child) === tag) return child;
    const deeper = find(child, tag);
    if (deeper) return deeper;
  }
  return undefined;
}

function render(nodes: XmlNode[], topLevel: boolean): string {
  let firstElement = topLevel;
  return nodes
    .map((node) => {
      const tag = tagOf(node);
      if (!tag) return textOf(node);
      const isFirst = firstElement;
      firstElement = false;
      if (tag === 'title') {
        const title = normalizeWhitespace(textOf(node));
        if (!title || (isFirst && HEADING_ONLY.test(title))) return ' ';
        return ` ${title.replace(/[\s:.]+$/, '')}: `;
      }
      if (tag === 'math') return textOf(node);
      // Formulas often come as TeX and MathML versions (and an image): keep one, MathML first.
      if (FORMULAS.has(tag)) {
        const math = find(node, 'math');
        const tex = find(node, 'tex-math');
        return math ? textOf(math) : tex ? textOf(tex) : '';
      }
      if (tag === 'inline-graphic' || tag === 'graphic') return '';
      const inner = render(contentOf(node), false);
      return BLOCKS.has(tag) ? ` ${inner} ` : inner;
    })
    .join('');
}

/** Something that looks like an element tag (a bare `<` as in `p < 0.05` does not). */
const TAG = /<\/?[A-Za-z][\w:.-]*(?:\s[^<>]*)?\/?>/g;

/**
 * Plain text of a JATS or HTML fragment (an abstract, a title); text without tags is only decoded.
 * Broken markup falls back to removing what looks like tags. Entities are decoded once more after
 * parsing because some publishers escape twice (`&amp;lt;75 K`).
 */
export function markupToText(markup: string): string {
  if (!markup.match(TAG)) return cleanPlain(decodeEntities(markup));
  let nodes: XmlNode[];
  try {
    nodes = parseXml(`<root>${markup}</root>`);
  } catch {
    return cleanPlain(decodeEntities(markup.replace(TAG, ' ')));
  }
  const root = nodes.find((n) => tagOf(n) === 'root');
  return cleanPlain(decodeEntities(root ? render(contentOf(root), true) : ''));
}
