/**
 * arXiv API search (https://info.arxiv.org/help/api/user-manual.html): an Atom feed. Ids come with
 * a version (`2104.12255v1`, `astro-ph/0601001v1`) and are stored without it so every version of a
 * preprint merges into one paper. The API asks for one request every 3 s (see `rate-limit.ts`).
 */
import { z } from 'zod';
import { SourceError } from '../errors.js';
import type { Paper } from '../model.js';
import { normalizeArxivId } from '../pipeline/merge.js';
import { apiUrl, cleanDoi, compact, rankScore, recordOrNotFound, reportDropped, withTitles } from './common.js';
import type { HttpClient } from './http.js';
import { cleanPlain } from './markup.js';
import type { PaperId } from './paper-id.js';
import type { SearchQuery, Source, SourceContext } from './source.js';
import { parseXmlBody, validateRecords, validateShape, type Validated } from './validate.js';
import { childNamed, childrenNamed, tagOf, textOf, type XmlNode } from './xml.js';

const NAME = 'arxiv';
const MAX_RESULTS = 200;

/** One Atom entry, as read from the feed. */
export const ArxivEntrySchema = z.object({
  id: z.string().regex(/arxiv\.org\/abs\/.+/, { error: 'expected an arxiv.org/abs/ id' }),
  title: z.string(),
  summary: z.string(),
  published: z.string().optional(),
  authors: z.array(z.string()),
  doi: z.string().optional(),
  journalRef: z.string().optional(),
});
/** See {@link ArxivEntrySchema}. */
export type ArxivEntry = z.infer<typeof ArxivEntrySchema>;

const FeedSchema = z.object({ entries: z.array(z.unknown()), total: z.number().int().nonnegative().optional() });

function text(node: XmlNode | undefined): string | undefined {
  if (!node) return undefined;
  const t = cleanPlain(textOf(node));
  return t || undefined;
}

function readEntry(entry: XmlNode): Record<string, unknown> {
  return compact({
    id: text(childNamed(entry, 'id')),
    title: text(childNamed(entry, 'title')),
    summary: text(childNamed(entry, 'summary')) ?? '',
    published: text(childNamed(entry, 'published')),
    authors: childrenNamed(entry, 'author')
      .map((a) => text(childNamed(a, 'name')))
      .filter((n): n is string => Boolean(n)),
    doi: text(childNamed(entry, 'doi')),
    journalRef: text(childNamed(entry, 'journal_ref')),
  });
}

/** Maps one entry to a paper; the id loses its version. */
export function arxivEntryToPaper(entry: ArxivEntry, rank = 0): Paper {
  const versioned = entry.id.replace(/^.*arxiv\.org\/abs\//i, '');
  const arxiv = normalizeArxivId(versioned) ?? versioned;
  const doi = cleanDoi(entry.doi);
  const year = entry.published?.match(/^(\d{4})-/)?.[1];
  return compact({
    id: `arxiv:${arxiv}`,
    title: entry.title,
    abstract: entry.summary,
    authors: entry.authors,
    year: year ? Number(year) : undefined,
    venue: entry.journalRef ?? 'arXiv',
    doi,
    url: `https://arxiv.org/abs/${arxiv}`,
    ids: compact({ arxiv, doi }),
    sources: [NAME],
    sourceScore: rankScore(rank),
  }) as Paper;
}

/**
 * Parses an arXiv Atom feed. An error entry (arXiv reports bad queries as an entry whose id is under
 * `/api/errors`) becomes a `source_http` error with arXiv's own message.
 */
export function parseArxivFeed(body: string): Validated<Paper> & { total: number | undefined } {
  const doc = parseXmlBody(NAME, body);
  const feed = doc.find((n) => tagOf(n) === 'feed');
  const entries = feed ? childrenNamed(feed, 'entry') : undefined;
  const totalText = feed ? textOf(childNamed(feed, 'totalResults')).trim() : '';
  const shape = validateShape(NAME, FeedSchema, {
    entries,
    ...(totalText && /^\d+$/.test(totalText) ? { total: Number(totalText) } : {}),
  });
  const errorEntry = (shape.entries as XmlNode[]).find((e) => /\/api\/errors/.test(textOf(childNamed(e, 'id'))));
  if (errorEntry) {
    throw new SourceError('source_http', NAME, `${NAME}: API error: ${text(childNamed(errorEntry, 'summary')) ?? 'unknown'}`);
  }
  const { records, dropped } = validateRecords(NAME, ArxivEntrySchema, (shape.entries as XmlNode[]).map(readEntry));
  return { records: withTitles(records.map((e, i) => arxivEntryToPaper(e, i))), dropped, total: shape.total };
}

/** Characters with a meaning in arXiv's query syntax. */
const SYNTAX = /[():[\]"]/g;

/**
 * arXiv's `search_query` for a query. A text already in arXiv's syntax (`ti:`, `abs:`, ...) is used
 * as it is; otherwise every word or phrase is searched in all fields (`all:(a "b c")`, any of them,
 * ranked by relevance), phrases being the query's multi-word terms. Years become a `submittedDate` range.
 */
export function arxivSearchQuery(query: Pick<SearchQuery, 'text' | 'terms' | 'yearFrom' | 'yearTo'>): string {
  const raw = query.text.trim();
  let q: string;
  if (/\b(?:ti|au|abs|co|jr|cat|rn|all):/.test(raw)) {
    q = raw;
  } else {
    let rest = ` ${raw.replace(SYNTAX, ' ')} `;
    const parts: string[] = [];
    for (const term of query.terms.filter((t) => t.includes(' '))) {
      const clean = term.replace(SYNTAX, ' ').trim();
      if (clean && rest.includes(` ${clean} `)) {
        parts.push(`"${clean}"`);
        rest = rest.replace(` ${clean} `, ' ');
      }
    }
    parts.push(...rest.split(/\s+/).filter(Boolean));
    q = parts.length === 1 ? `all:${parts[0]}` : `all:(${parts.join(' ')})`;
  }
  if (query.yearFrom !== undefined || query.yearTo !== undefined) {
    const from = `${query.yearFrom ?? 1991}01010000`;
    const to = `${query.yearTo ?? new Date().getUTCFullYear() + 1}12312359`;
    q = `(${q}) AND submittedDate:[${from} TO ${to}]`;
  }
  return q;
}

/** The `/query` URL for a search. */
export function arxivSearchUrl(baseUrl: string, query: SearchQuery): string {
  return apiUrl(baseUrl, '/query', {
    search_query: arxivSearchQuery(query),
    start: 0,
    max_results: Math.min(MAX_RESULTS, query.maxResults),
    sortBy: 'relevance',
    sortOrder: 'descending',
  });
}

/** The `/query` URL that fetches one paper by id (`id_list`; the latest version when the id has none). */
export function arxivIdUrl(baseUrl: string, id: string): string {
  return apiUrl(baseUrl, '/query', { id_list: id, start: 0, max_results: 1 });
}

/** Options of {@link createArxivSource}. */
export interface ArxivOptions {
  baseUrl: string;
}

/** Creates the arXiv source. */
export function createArxivSource(options: ArxivOptions, deps: { http: HttpClient }): Source {
  return {
    name: NAME,
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const url = arxivSearchUrl(options.baseUrl, query);
      const feed = await deps.http.fetch({ url, accept: 'application/atom+xml', signal: ctx.signal }, parseArxivFeed);
      reportDropped(ctx, NAME, feed.dropped);
      return feed.records.slice(0, query.maxResults);
    },
    lookupKinds: ['arxiv'],
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      if (id.kind !== 'arxiv') return undefined;
      // An unknown id is an empty feed; only the entry of the id asked for is taken.
      const url = arxivIdUrl(options.baseUrl, id.value);
      return recordOrNotFound(
        deps.http.fetch({ url, accept: 'application/atom+xml', signal: ctx.signal }, (body) => parseArxivFeed(body).records.find((p) => p.ids.arxiv === id.value)),
      );
    },
  };
}
