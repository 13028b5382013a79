/**
 * The references as BibTeX, through citation-js (CSL-JSON in, BibTeX out), which handles escaping
 * and name formatting. Loaded lazily: only the adapters' attachments and `--format bibtex` need it.
 */
import type { Reference } from '../model.js';

interface CslItem {
  id: string;
  type: string;
  title: string;
  author?: ({ family: string; given?: string } | { literal: string })[];
  issued?: { 'date-parts': number[][] };
  'container-title'?: string;
  DOI?: string;
  URL?: string;
}

/** Splits "Ada Lovelace" into given and family names; organisations and one-word names stay literal. */
function toCslName(name: string): { family: string; given?: string } | { literal: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2 || /\b(?:group|consortium|collaboration|committee|organization|organisation|network|study)\b/i.test(name)) {
    return { literal: name };
  }
  if (name.includes(',')) {
    const [family, given] = name.split(',', 2) as [string, string];
    return { family: family.trim(), given: given.trim() };
  }
  return { family: parts[parts.length - 1]!, given: parts.slice(0, -1).join(' ') };
}

/** Converts references to CSL-JSON items. */
export function toCsl(references: readonly Reference[]): CslItem[] {
  return references.map((r) => {
    const item: CslItem = { id: r.id, type: r.venue ? 'article-journal' : 'article', title: r.title };
    if (r.authors.length) item.author = r.authors.map(toCslName);
    if (r.year !== undefined) item.issued = { 'date-parts': [[r.year]] };
    if (r.venue) item['container-title'] = r.venue;
    if (r.doi) item.DOI = r.doi;
    if (r.url) item.URL = r.url;
    return item;
  });
}

/** Renders the references as BibTeX. */
export async function renderBibtex(references: readonly Reference[]): Promise<string> {
  if (references.length === 0) return '';
  const { Cite } = await import('@citation-js/core');
  await import('@citation-js/plugin-bibtex');
  return new Cite(toCsl(references)).format('bibtex') as string;
}
