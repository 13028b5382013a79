/**
 * Crossref REST API works query (https://api.crossref.org/swagger-ui/index.html#/Works/get_works),
 * using `query.bibliographic`. With `CONTACT_EMAIL` requests carry `mailto` and join the polite pool
 * (https://www.crossref.org/documentation/retrieve-metadata/rest-api/tips-for-using-the-crossref-rest-api/).
 * Abstracts are JATS XML and are turned into plain text.
 */
import { z } from 'zod';
import type { Paper } from '../model.js';
import { apiUrl, arxivIdFromDoi, cleanDoi, compact, rankScore, recordOrNotFound, reportDropped, withTitles } from './common.js';
import type { HttpClient } from './http.js';
import { cleanPlain, markupToText } from './markup.js';
import type { PaperId } from './paper-id.js';
import type { SearchQuery, Source, SourceContext } from './source.js';
import { parseJsonBody, validateRecords, validateShape, type Validated } from './validate.js';

const NAME = 'crossref';
const MAX_ROWS = 100;
const SELECT = 'DOI,title,author,issued,published,container-title,abstract,is-referenced-by-count,URL';

const DateSchema = z.object({ 'date-parts': z.array(z.array(z.union([z.number(), z.string(), z.null()]))).nullish() }).nullish();

/** One work, with only the fields we map. */
export const CrossrefWorkSchema = z.object({
  DOI: z.string().min(1),
  title: z.array(z.string()).nullish(),
  author: z.array(z.object({ given: z.string().nullish(), family: z.string().nullish(), name: z.string().nullish() })).nullish(),
  issued: DateSchema,
  published: DateSchema,
  'container-title': z.array(z.string()).nullish(),
  abstract: z.string().nullish(),
  'is-referenced-by-count': z.number().int().nonnegative().nullish(),
  URL: z.string().nullish(),
});
/** See {@link CrossrefWorkSchema}. */
export type CrossrefWork = z.infer<typeof CrossrefWorkSchema>;

/** A `work-list` answer. */
export const CrossrefListSchema = z.object({
  status: z.literal('ok'),
  message: z.object({ items: z.array(z.unknown()), 'total-results': z.number().int().nonnegative().nullish() }),
});

/** A single `work` answer (`/works/{doi}`). */
export const CrossrefSingleSchema = z.object({ status: z.literal('ok'), message: z.unknown() });

function yearOf(date: z.infer<typeof DateSchema>): number | undefined {
  const y = Number(date?.['date-parts']?.[0]?.[0]);
  return Number.isInteger(y) && y > 0 ? y : undefined;
}

/** Maps one validated work to a paper. */
export function crossrefWorkToPaper(work: CrossrefWork, rank = 0): Paper {
  const doi = cleanDoi(work.DOI);
  const authors = (work.author ?? [])
    .map((a) => cleanPlain(a.name ?? [a.given, a.family].filter(Boolean).join(' ')))
    .filter(Boolean);
  const arxiv = arxivIdFromDoi(doi);
  return compact({
    id: `crossref:${doi ?? work.DOI.toLowerCase()}`,
    title: markupToText((work.title ?? [])[0] ?? ''),
    abstract: work.abstract ? markupToText(work.abstract) : '',
    authors,
    year: yearOf(work.issued) ?? yearOf(work.published),
    venue: cleanPlain((work['container-title'] ?? [])[0] ?? '') || undefined,
    doi,
    url: doi ? `https://doi.org/${doi}` : (work.URL ?? undefined),
    ids: compact({ doi, arxiv }),
    sources: [NAME],
    citationCount: work['is-referenced-by-count'] ?? undefined,
    sourceScore: rankScore(rank),
  }) as Paper;
}

/** Parses a `work-list` page (records in an unexpected shape are dropped and counted). */
export function parseCrossrefList(body: string): Validated<Paper> & { total: number | undefined } {
  const page = validateShape(NAME, CrossrefListSchema, parseJsonBody(NAME, body));
  const { records, dropped } = validateRecords(NAME, CrossrefWorkSchema, page.message.items);
  return { records: withTitles(records.map((w, i) => crossrefWorkToPaper(w, i))), dropped, total: page.message['total-results'] ?? undefined };
}

/** Parses a single `work` answer. */
export function parseCrossrefWork(body: string): Paper {
  const single = validateShape(NAME, CrossrefSingleSchema, parseJsonBody(NAME, body));
  return crossrefWorkToPaper(validateShape(NAME, CrossrefWorkSchema, single.message));
}

/** The `/works` query URL for a search. */
export function crossrefSearchUrl(baseUrl: string, query: SearchQuery, contactEmail?: string): string {
  const filters = ['has-abstract:true'];
  if (query.yearFrom !== undefined) filters.push(`from-pub-date:${query.yearFrom}-01-01`);
  if (query.yearTo !== undefined) filters.push(`until-pub-date:${query.yearTo}-12-31`);
  return apiUrl(baseUrl, '/works', {
    'query.bibliographic': query.text,
    filter: filters.join(','),
    rows: Math.min(MAX_ROWS, query.maxResults),
    select: SELECT,
    mailto: contactEmail,
  });
}

/** The single-work URL of a DOI (`/works/{doi}`, the DOI URL-encoded). */
export function crossrefWorkUrl(baseUrl: string, doi: string, contactEmail?: string): string {
  return apiUrl(baseUrl, `/works/${encodeURIComponent(doi)}`, { mailto: contactEmail });
}

/** Options of {@link createCrossrefSource}. */
export interface CrossrefOptions {
  baseUrl: string;
  contactEmail?: string | undefined;
}

/** Creates the Crossref source. */
export function createCrossrefSource(options: CrossrefOptions, deps: { http: HttpClient }): Source {
  return {
    name: NAME,
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const url = crossrefSearchUrl(options.baseUrl, query, options.contactEmail);
      const page = await deps.http.fetch({ url, accept: 'application/json', signal: ctx.signal }, parseCrossrefList);
      reportDropped(ctx, NAME, page.dropped);
      return page.records.slice(0, query.maxResults);
    },
    // Crossref knows works by DOI only (arXiv's DOIs are DataCite's, not Crossref's).
    lookupKinds: ['doi'],
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      if (id.kind !== 'doi') return undefined;
      const url = crossrefWorkUrl(options.baseUrl, id.value, options.contactEmail);
      return recordOrNotFound(deps.http.fetch({ url, accept: 'application/json', signal: ctx.signal }, parseCrossrefWork));
    },
  };
}
