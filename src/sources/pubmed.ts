/**
 * PubMed through the NCBI E-utilities (https://www.ncbi.nlm.nih.gov/books/NBK25499/): `esearch`
 * finds PMIDs by relevance, `efetch` returns their records as PubMed XML. Structured abstracts keep
 * their section labels (`RESULTS: ...`). `NCBI_API_KEY` is optional (3 requests/s without, 10 with);
 * `tool` and `email` identify the client as NCBI asks.
 */
import { z } from 'zod';
import { SourceError } from '../errors.js';
import type { Paper } from '../model.js';
import { apiUrl, cleanDoi, compact, rankScore, recordOrNotFound, reportDropped, withTitles } from './common.js';
import type { HttpClient } from './http.js';
import { cleanPlain } from './markup.js';
import type { PaperId } from './paper-id.js';
import type { SearchQuery, Source, SourceContext } from './source.js';
import { parseXmlBody, validateRecords, validateShape, type Validated } from './validate.js';
import { attrOf, childNamed, childrenNamed, pathOf, tagOf, textOf, type XmlNode } from './xml.js';

const NAME = 'pubmed';
const TOOL = 'research-synthesis-bot';
const MAX_RETMAX = 200;

/** One article, as read from the XML. */
export const PubmedArticleSchema = z.object({
  pmid: z.string().regex(/^\d+$/, { error: 'expected a numeric PMID' }),
  title: z.string(),
  abstract: z.string(),
  authors: z.array(z.string()),
  year: z.number().int().optional(),
  journal: z.string().optional(),
  doi: z.string().optional(),
  pmc: z.string().optional(),
});
/** See {@link PubmedArticleSchema}. */
export type PubmedArticle = z.infer<typeof PubmedArticleSchema>;

const IdListSchema = z.object({ ids: z.array(z.string().regex(/^\d+$/)), count: z.number().int().nonnegative().optional() });
const ArticleSetSchema = z.object({ articles: z.array(z.unknown()) });

function clean(node: XmlNode | undefined): string {
  return node ? cleanPlain(textOf(node)) : '';
}

/** Parses an `esearch` answer into PMIDs, best first. An `<ERROR>` becomes a `source_http` error. */
export function parseEsearch(body: string): { ids: string[]; count: number | undefined } {
  const doc = parseXmlBody(NAME, body);
  const root = doc.find((n) => tagOf(n) === 'eSearchResult');
  const error = root ? clean(childNamed(root, 'ERROR')) : '';
  if (error) throw new SourceError('source_http', NAME, `${NAME}: API error: ${error}`);
  const idList = root ? childNamed(root, 'IdList') : undefined;
  const countText = root ? clean(childNamed(root, 'Count')) : '';
  const parsed = validateShape(NAME, IdListSchema, {
    ids: idList ? childrenNamed(idList, 'Id').map(clean) : undefined,
    ...(/^\d+$/.test(countText) ? { count: Number(countText) } : {}),
  });
  return { ids: parsed.ids, count: parsed.count };
}

function yearOf(article: XmlNode): number | undefined {
  const pubDate = pathOf(article, 'Journal', 'JournalIssue', 'PubDate');
  const text = clean(childNamed(pubDate ?? [], 'Year')) || clean(childNamed(pubDate ?? [], 'MedlineDate')) || clean(pathOf(article, 'ArticleDate', 'Year'));
  const y = text.match(/\b(\d{4})\b/)?.[1];
  return y ? Number(y) : undefined;
}

function abstractOf(article: XmlNode): string {
  const parts = childrenNamed(childNamed(article, 'Abstract') ?? [], 'AbstractText').map((node) => {
    const label = attrOf(node, 'Label')?.trim();
    const text = clean(node);
    return label && text ? `${label}: ${text}` : text;
  });
  return parts.filter(Boolean).join(' ');
}

function readArticle(entry: XmlNode): Record<string, unknown> {
  const citation = childNamed(entry, 'MedlineCitation');
  const article = citation ? childNamed(citation, 'Article') : undefined;
  const articleIds = childrenNamed(pathOf(entry, 'PubmedData', 'ArticleIdList') ?? [], 'ArticleId');
  const idOf = (type: string) => clean(articleIds.find((a) => attrOf(a, 'IdType') === type)) || undefined;
  const eloc = article ? childrenNamed(article, 'ELocationID').find((e) => attrOf(e, 'EIdType') === 'doi') : undefined;
  const authors = childrenNamed(childNamed(article ?? [], 'AuthorList') ?? [], 'Author')
    .map((a) => clean(childNamed(a, 'CollectiveName')) || [clean(childNamed(a, 'ForeName')), clean(childNamed(a, 'LastName'))].filter(Boolean).join(' '))
    .filter(Boolean);
  return compact({
    pmid: clean(childNamed(citation ?? [], 'PMID')) || undefined,
    title: article ? clean(childNamed(article, 'ArticleTitle')) : undefined,
    abstract: article ? abstractOf(article) : '',
    authors,
    year: article ? yearOf(article) : undefined,
    journal: clean(pathOf(article, 'Journal', 'Title')) || undefined,
    doi: idOf('doi') ?? (clean(eloc) || undefined),
    pmc: idOf('pmc'),
  });
}

/** Maps one article to a paper. */
export function pubmedArticleToPaper(article: PubmedArticle, rank = 0): Paper {
  const doi = cleanDoi(article.doi);
  return compact({
    id: `pubmed:${article.pmid}`,
    title: article.title,
    abstract: article.abstract,
    authors: article.authors,
    year: article.year,
    venue: article.journal,
    doi,
    url: `https://pubmed.ncbi.nlm.nih.gov/${article.pmid}/`,
    ids: compact({ pmid: article.pmid, doi }),
    sources: [NAME],
    sourceScore: rankScore(rank),
  }) as Paper;
}

/**
 * Parses an `efetch` PubmedArticleSet. `order` (PMIDs, best first) sets the ranking; articles not in
 * it follow in document order. Book records (`PubmedBookArticle`) are not read.
 */
export function parseEfetch(body: string, order: readonly string[] = []): Validated<Paper> {
  const doc = parseXmlBody(NAME, body);
  const set = doc.find((n) => tagOf(n) === 'PubmedArticleSet');
  const { articles } = validateShape(NAME, ArticleSetSchema, { articles: set ? childrenNamed(set, 'PubmedArticle') : undefined });
  const { records, dropped } = validateRecords(NAME, PubmedArticleSchema, (articles as XmlNode[]).map(readArticle));
  const rankOf = new Map(order.map((id, i) => [id, i]));
  const sorted = records
    .map((r, i) => ({ r, key: rankOf.get(r.pmid) ?? order.length + i }))
    .sort((a, b) => a.key - b.key)
    .map((x, i) => pubmedArticleToPaper(x.r, i));
  return { records: withTitles(sorted), dropped };
}

/**
 * Reads the article `pmid` from an `efetch` answer; undefined when the answer does not hold it (an
 * empty set, or an `eFetchResult` with an `ERROR`, which is how E-utilities answer an id they cannot
 * serve).
 */
export function parseEfetchArticle(body: string, pmid: string): Paper | undefined {
  const doc = parseXmlBody(NAME, body);
  if (doc.some((n) => tagOf(n) === 'eFetchResult')) return undefined;
  return parseEfetch(body, [pmid]).records.find((p) => p.ids.pmid === pmid);
}

/** Parameters NCBI asks every call to carry. */
function identity(options: PubmedOptions): Record<string, string | undefined> {
  return { tool: TOOL, email: options.contactEmail, api_key: options.apiKey };
}

/** The `esearch` URL for a search; years filter on the publication date. */
export function esearchUrl(options: PubmedOptions, query: SearchQuery): string {
  const dated = query.yearFrom !== undefined || query.yearTo !== undefined;
  return apiUrl(options.baseUrl, '/esearch.fcgi', {
    db: 'pubmed',
    term: query.text,
    retmax: Math.min(MAX_RETMAX, query.maxResults),
    retmode: 'xml',
    sort: 'relevance',
    ...(dated ? { datetype: 'pdat', mindate: String(query.yearFrom ?? 1800), maxdate: String(query.yearTo ?? 3000) } : {}),
    ...identity(options),
  });
}

/** The `efetch` URL for PMIDs. */
export function efetchUrl(options: PubmedOptions, ids: readonly string[]): string {
  return apiUrl(options.baseUrl, '/efetch.fcgi', { db: 'pubmed', id: ids.join(','), retmode: 'xml', rettype: 'abstract', ...identity(options) });
}

/** Options of {@link createPubmedSource}. */
export interface PubmedOptions {
  baseUrl: string;
  contactEmail?: string | undefined;
  apiKey?: string | undefined;
}

/** Creates the PubMed source. */
export function createPubmedSource(options: PubmedOptions, deps: { http: HttpClient }): Source {
  return {
    name: NAME,
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const found = await deps.http.fetch({ url: esearchUrl(options, query), accept: 'application/xml', signal: ctx.signal }, parseEsearch);
      // esearch honours retmax, but a longer list must not turn into an oversized efetch.
      const ids = found.ids.slice(0, Math.min(MAX_RETMAX, query.maxResults));
      if (ids.length === 0) return [];
      const fetched = await deps.http.fetch({ url: efetchUrl(options, ids), accept: 'application/xml', signal: ctx.signal }, (body) =>
        parseEfetch(body, ids),
      );
      reportDropped(ctx, NAME, fetched.dropped);
      return fetched.records.slice(0, query.maxResults);
    },
    lookupKinds: ['pmid'],
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      if (id.kind !== 'pmid') return undefined;
      const url = efetchUrl(options, [id.value]);
      return recordOrNotFound(deps.http.fetch({ url, accept: 'application/xml', signal: ctx.signal }, (body) => parseEfetchArticle(body, id.value)));
    },
  };
}
