/**
 * XML for the sources that answer in it (arXiv's Atom feed, PubMed's E-utilities, Crossref's JATS
 * abstracts), on `fast-xml-parser`. Documents are parsed in document order (`preserveOrder`) so mixed
 * content such as `p<sub>trend</sub> &lt; 0.01` or inline MathML turns back into readable text.
 * Namespace prefixes are dropped (`jats:p` -> `p`, `arxiv:doi` -> `doi`).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One element or text node of a document parsed in order. */
export type XmlNode = { '#text': string } | ({ [tag: string]: XmlNode[] } & { ':@'?: Record<string, string> });

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Thrown by {@link parseXml} for a document that is not well-formed. */
export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

/** Parses a whole document; throws {@link XmlSyntaxError} (with line and column) when it is not well-formed. */
export function parseXml(text: string): XmlNode[] {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlSyntaxError(`line ${valid.err.line}: ${valid.err.msg}`);
  return parser.parse(text) as XmlNode[];
}

/** The tag name of an element node, or undefined for a text node. */
export function tagOf(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text') return key;
  return undefined;
}

/** The child nodes of an element (empty for a text node). */
export function contentOf(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  return tag ? ((node as Record<string, XmlNode[]>)[tag] ?? []) : [];
}

/** An attribute of an element. */
export function attrOf(node: XmlNode, name: string): string | undefined {
  return (node as { ':@'?: Record<string, string> })[':@']?.[name];
}

/** The child elements of `node` (or of a node list) named `tag`. */
export function childrenNamed(node: XmlNode | XmlNode[], tag: string): XmlNode[] {
  const list = Array.isArray(node) ? node : contentOf(node);
  return list.filter((n) => tagOf(n) === tag);
}

/** The first child element named `tag`. */
export function childNamed(node: XmlNode | XmlNode[], tag: string): XmlNode | undefined {
  return childrenNamed(node, tag)[0];
}

/** Follows a path of tag names from `node`, taking the first match at each step. */
export function pathOf(node: XmlNode | XmlNode[] | undefined, ...tags: string[]): XmlNode | undefined {
  let current: XmlNode | XmlNode[] | undefined = node;
  for (const tag of tags) {
    if (!current) return undefined;
    current = childNamed(current, tag);
  }
  return Array.isArray(current) ? undefined : current;
}

/** Elements laid out as blocks: their text is separated from the neighbours' by a space. */
const BLOCKS = new Set(['p', 'sec', 'title', 'list', 'list-item', 'def-list', 'def-item', 'table', 'tr', 'td', 'th', 'br', 'div', 'li', 'ul', 'ol']);

/**
 * The text content of a node, in document order. Inline markup (`<i>`, `<sub>`, `<sup>`) joins its
 * neighbours without a space; block elements are separated by one; layout whitespace inside MathML
 * is dropped so `<mi>V</mi> <mi>O</mi>` reads `VO`. Whitespace is not normalised here.
 */
export function textOf(node: XmlNode | XmlNode[] | undefined, inMath = false): string {
  if (!node) return '';
  if (Array.isArray(node)) return node.map((n) => textOf(n, inMath)).join('');
  if ('#text' in node && typeof node['#text'] === 'string') {
    return inMath && node['#text'].trim() === '' ? '' : node['#text'];
  }
  const tag = tagOf(node);
  if (!tag) return '';
  const inner = textOf(contentOf(node), inMath || tag === 'math');
  return BLOCKS.has(tag) ? ` ${inner} ` : inner;
}
