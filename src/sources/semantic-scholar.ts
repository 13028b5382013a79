/**
 * Semantic Scholar Academic Graph paper search (https://api.semanticscholar.org/api-docs/graph#tag/Paper-Data/operation/get_graph_paper_relevance_search).
 * A key is optional (`SEMANTIC_SCHOLAR_API_KEY`, sent as `x-api-key`); without one requests share a
 * strictly throttled pool, so 429s are expected and retried as `Retry-After` says.
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

const NAME = 'semanticscholar';
const MAX_LIMIT = 100;
const FIELDS = 'title,abstract,year,venue,externalIds,citationCount,authors,url';

const idValue = z.union([z.string(), z.number()]).transform(String);

/** One paper, with only the fields we map (any may be missing when not requested). */
export const S2PaperSchema = z.object({
  paperId: z.string().min(1),
  title: z.string().nullish(),
  abstract: z.string().nullish(),
  year: z.number().int().nullish(),
  venue: z.string().nullish(),
  externalIds: z.record(z.string(), idValue.nullish()).nullish(),
  citationCount: z.number().int().nonnegative().nullish(),
  authors: z.array(z.object({ name: z.string().nullish() })).nullish(),
  url: z.string().nullish(),
});
/** See {@link S2PaperSchema}. */
export type S2Paper = z.infer<typeof S2PaperSchema>;

/** A page of `/paper/search` (no `data` when nothing matched). */
export const S2SearchPageSchema = z.object({
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative().nullish(),
  data: z.array(z.unknown()).nullish(),
});

/** Maps one validated paper. */
export function s2PaperToPaper(paper: S2Paper, rank = 0): Paper {
  const ext = paper.externalIds ?? {};
  const doi = cleanDoi(ext['DOI']);
  const arxiv = normalizeArxivId(ext['ArXiv'] ?? undefined) ?? arxivIdFromDoi(doi);
  const pmid = ext['PubMed'] && /^\d+$/.test(ext['PubMed']) ? ext['PubMed'] : undefined;
  return compact({
    id: `s2:${paper.paperId}`,
    title: markupToText(paper.title ?? ''),
    abstract: markupToText(paper.abstract ?? ''),
    authors: (paper.authors ?? []).map((a) => cleanPlain(a.name ?? '')).filter(Boolean),
    year: paper.year ?? undefined,
    venue: cleanPlain(paper.venue ?? '') || undefined,
    doi,
    url: paper.url ?? (doi ? `https://doi.org/${doi}` : `https://www.semanticscholar.org/paper/${paper.paperId}`),
    ids: compact({ s2: paper.paperId, doi, arxiv, pmid }),
    sources: [NAME],
    citationCount: paper.citationCount ?? undefined,
    sourceScore: rankScore(rank),
  }) as Paper;
}

/** Parses a `/paper/search` page (records in an unexpected shape are dropped and counted). */
export function parseS2SearchPage(body: string): Validated<Paper> & { total: number } {
  const page = validateShape(NAME, S2SearchPageSchema, parseJsonBody(NAME, body));
  const { records, dropped } = validateRecords(NAME, S2PaperSchema, page.data ?? []);
  return { records: withTitles(records.map((p, i) => s2PaperToPaper(p, i))), dropped, total: page.total };
}

/** Parses a single paper (`/paper/{id}`). */
export function parseS2Paper(body: string): Paper {
  return s2PaperToPaper(validateShape(NAME, S2PaperSchema, parseJsonBody(NAME, body)));
}

/** Parses a `/paper/batch` answer: one entry per requested id, `null` for unknown ids. */
export function parseS2Batch(body: string): Validated<Paper> {
  const list = validateShape(NAME, z.array(z.unknown()), parseJsonBody(NAME, body)).filter((x) => x !== null);
  const { records, dropped } = validateRecords(NAME, S2PaperSchema, list);
  return { records: records.map((p, i) => s2PaperToPaper(p, i)), dropped };
}

/** The `year` filter: `2015-2020`, `2015-` or `-2020`. */
function yearParam(query: SearchQuery): string | undefined {
  if (query.yearFrom === undefined && query.yearTo === undefined) return undefined;
  return `${query.yearFrom ?? ''}-${query.yearTo ?? ''}`;
}

/** The `/paper/search` URL for a search. */
export function s2SearchUrl(baseUrl: string, query: SearchQuery): string {
  return apiUrl(baseUrl, '/paper/search', {
    query: query.text,
    limit: Math.min(MAX_LIMIT, query.maxResults),
    fields: FIELDS,
    year: yearParam(query),
  });
}

/** Identifiers Semantic Scholar resolves to one paper. */
export const S2_LOOKUP_KINDS: readonly PaperIdKind[] = ['doi', 'arxiv', 'pmid', 's2'];

/**
 * The `/paper/{id}` URL for an identifier (`DOI:10.…`, `arXiv:2406.15877`, `PMID:123`, or the paper id;
 * https://api.semanticscholar.org/api-docs/graph#tag/Paper-Data/operation/get_graph_get_paper). The DOI
 * keeps its slashes, as the API expects. Undefined for other kinds.
 */
export function s2PaperUrl(baseUrl: string, id: PaperId): string | undefined {
  const key = id.kind === 'doi' ? `DOI:${id.value}` : id.kind === 'arxiv' ? `arXiv:${id.value}` : id.kind === 'pmid' ? `PMID:${id.value}` : id.kind === 's2' ? id.value : undefined;
  if (key === undefined) return undefined;
  return apiUrl(baseUrl, `/paper/${encodeURIComponent(key).replace(/%2F/gi, '/').replace(/%3A/gi, ':')}`, { fields: FIELDS });
}

/** Options of {@link createSemanticScholarSource}. */
export interface SemanticScholarOptions {
  baseUrl: string;
  apiKey?: string | undefined;
}

/** Creates the Semantic Scholar source. */
export function createSemanticScholarSource(options: SemanticScholarOptions, deps: { http: HttpClient }): Source {
  return {
    name: NAME,
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const url = s2SearchUrl(options.baseUrl, query);
      const headers = options.apiKey ? { 'x-api-key': options.apiKey } : undefined;
      const page = await deps.http.fetch(
        { url, accept: 'application/json', signal: ctx.signal, ...(headers ? { headers } : {}) },
        parseS2SearchPage,
      );
      reportDropped(ctx, NAME, page.dropped);
      return page.records.slice(0, query.maxResults);
    },
    lookupKinds: S2_LOOKUP_KINDS,
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      const url = s2PaperUrl(options.baseUrl, id);
      if (!url) return undefined;
      const headers = options.apiKey ? { 'x-api-key': options.apiKey } : undefined;
      return recordOrNotFound(deps.http.fetch({ url, accept: 'application/json', signal: ctx.signal, ...(headers ? { headers } : {}) }, parseS2Paper));
    },
  };
}
