/**
 * OpenAlex works search (https://docs.openalex.org/api-entities/works/search-works). No key; the
 * `mailto` parameter puts requests in the polite pool. Abstracts arrive as an inverted index
 * (word -> positions) and are rebuilt into plain text.
 */
import { z } from 'zod';
import type { Paper } from '../model.js';
import { normalizeArxivId } from '../pipeline/merge.js';
import { apiUrl, arxivIdFromDoi, cleanDoi, compact, rankScore, recordOrNotFound, reportDropped, withTitles } from './common.js';
import type { HttpClient } from './http.js';
import { cleanPlain, markupToText } from './markup.js';
import type { PaperId, PaperIdKind } from './paper-id.js';
import type { SearchQuery, Source, SourceContext } from './source.js';
import { parseJsonBody, validateRecords, validateShape, type Validated } from './validate.js';

const NAME = 'openalex';
/** Most results OpenAlex returns per page. */
const MAX_PER_PAGE = 200;
/** Fields requested, to keep pages small (https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/select-fields). */
const SELECT = 'id,doi,title,display_name,publication_year,ids,authorships,primary_location,cited_by_count,abstract_inverted_index';
/** Positions beyond this are not a real abstract (guards against a hostile payload's huge array). */
const MAX_POSITION = 20_000;

/** One work, with only the fields we map. */
export const OpenAlexWorkSchema = z.object({
  id: z.string().min(1),
  doi: z.string().nullish(),
  title: z.string().nullish(),
  display_name: z.string().nullish(),
  publication_year: z.number().int().nullish(),
  ids: z.object({ pmid: z.string().nullish() }).nullish(),
  authorships: z
    .array(z.object({ author: z.object({ display_name: z.string().nullish() }).nullish(), raw_author_name: z.string().nullish() }))
    .nullish(),
  primary_location: z
    .object({ landing_page_url: z.string().nullish(), source: z.object({ display_name: z.string().nullish() }).nullish() })
    .nullish(),
  cited_by_count: z.number().int().nonnegative().nullish(),
  abstract_inverted_index: z.record(z.string(), z.array(z.number().int().nonnegative())).nullish(),
});
/** See {@link OpenAlexWorkSchema}. */
export type OpenAlexWork = z.infer<typeof OpenAlexWorkSchema>;

/** A page of `/works` results. */
export const OpenAlexPageSchema = z.object({
  meta: z.object({ count: z.number().int().nonnegative().nullish() }).nullish(),
  results: z.array(z.unknown()),
});

/** Rebuilds an abstract from OpenAlex's inverted index; positions nobody claims are skipped. */
export function rebuildAbstract(index: Record<string, number[]> | null | undefined): string {
  if (!index) return '';
  const words: string[] = [];
  for (const [word, positions] of Object.entries(index)) {
    for (const p of positions) if (p <= MAX_POSITION) words[p] = word;
  }
  // The index is built from publishers' metadata, so words can carry markup or escaped entities.
  return markupToText(words.filter((w) => w !== undefined).join(' '));
}

/** Maps one validated work to a paper. */
export function openAlexWorkToPaper(work: OpenAlexWork, rank = 0): Paper {
  const openalexId = work.id.replace(/^https?:\/\/openalex\.org\//i, '');
  const doi = cleanDoi(work.doi);
  const pmid = work.ids?.pmid?.match(/(\d+)\/?$/)?.[1];
  const landing = work.primary_location?.landing_page_url ?? undefined;
  const arxiv = arxivIdFromDoi(doi) ?? (landing && /arxiv\.org\/abs\//i.test(landing) ? normalizeArxivId(landing) : undefined);
  const authors = (work.authorships ?? [])
    .map((a) => cleanPlain(a.author?.display_name ?? a.raw_author_name ?? ''))
    .filter(Boolean);
  return compact({
    id: `openalex:${openalexId}`,
    title: markupToText(work.title ?? work.display_name ?? ''),
    abstract: rebuildAbstract(work.abstract_inverted_index),
    authors,
    year: work.publication_year ?? undefined,
    venue: cleanPlain(work.primary_location?.source?.display_name ?? '') || undefined,
    doi,
    url: doi ? `https://doi.org/${doi}` : (landing ?? work.id),
    ids: compact({ openalex: openalexId, doi, pmid, arxiv }),
    sources: [NAME],
    citationCount: work.cited_by_count ?? undefined,
    sourceScore: rankScore(rank),
  }) as Paper;
}

/** Parses a `/works` list page into papers (records in an unexpected shape are dropped and counted). */
export function parseOpenAlexPage(body: string): Validated<Paper> & { total: number | undefined } {
  const page = validateShape(NAME, OpenAlexPageSchema, parseJsonBody(NAME, body));
  const { records, dropped } = validateRecords(NAME, OpenAlexWorkSchema, page.results);
  return { records: withTitles(records.map((w, i) => openAlexWorkToPaper(w, i))), dropped, total: page.meta?.count ?? undefined };
}

/** Parses a single work (`/works/{id}`). */
export function parseOpenAlexWork(body: string): Paper {
  return openAlexWorkToPaper(validateShape(NAME, OpenAlexWorkSchema, parseJsonBody(NAME, body)));
}

/** Identifiers OpenAlex resolves to a single work (an arXiv id through the DOI arXiv mints for it). */
export const OPENALEX_LOOKUP_KINDS: readonly PaperIdKind[] = ['doi', 'arxiv', 'pmid', 'openalex'];

/**
 * The single-work URL for an identifier (https://docs.openalex.org/api-entities/works/get-a-single-work):
 * a DOI as `/works/https://doi.org/<doi>` (the form OpenAlex documents for external ids, and the one the
 * recorded responses use; `/works/doi:<doi>` is equivalent), a PubMed id as `/works/pmid:<id>`, an
 * OpenAlex id as `/works/W…`. Undefined for other kinds. No `select`: one work is small enough whole.
 */
export function openAlexWorkUrl(baseUrl: string, id: PaperId, contactEmail?: string): string | undefined {
  const doi = id.kind === 'doi' ? id.value : id.kind === 'arxiv' ? `10.48550/arxiv.${id.value}` : undefined;
  const key =
    doi !== undefined ? `https://doi.org/${encodeURIComponent(doi)}` : id.kind === 'pmid' ? `pmid:${id.value}` : id.kind === 'openalex' ? id.value : undefined;
  return key === undefined ? undefined : apiUrl(baseUrl, `/works/${key}`, { mailto: contactEmail });
}

/** The `/works` search URL for a query. */
export function openAlexSearchUrl(baseUrl: string, query: SearchQuery, contactEmail?: string): string {
  const filters = ['has_abstract:true'];
  if (query.yearFrom !== undefined) filters.push(`from_publication_date:${query.yearFrom}-01-01`);
  if (query.yearTo !== undefined) filters.push(`to_publication_date:${query.yearTo}-12-31`);
  return apiUrl(baseUrl, '/works', {
    search: query.text,
    filter: filters.join(','),
    'per-page': Math.min(MAX_PER_PAGE, query.maxResults),
    select: SELECT,
    mailto: contactEmail,
  });
}

/** Options of {@link createOpenAlexSource}. */
export interface OpenAlexOptions {
  baseUrl: string;
  contactEmail?: string | undefined;
}

/** Creates the OpenAlex source. */
export function createOpenAlexSource(options: OpenAlexOptions, deps: { http: HttpClient }): Source {
  return {
    name: NAME,
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const url = openAlexSearchUrl(options.baseUrl, query, options.contactEmail);
      const page = await deps.http.fetch({ url, accept: 'application/json', signal: ctx.signal }, parseOpenAlexPage);
      reportDropped(ctx, NAME, page.dropped);
      return page.records.slice(0, query.maxResults);
    },
    lookupKinds: OPENALEX_LOOKUP_KINDS,
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      const url = openAlexWorkUrl(options.baseUrl, id, options.contactEmail);
      if (!url) return undefined;
      return recordOrNotFound(deps.http.fetch({ url, accept: 'application/json', signal: ctx.signal }, parseOpenAlexWork));
    },
  };
}
