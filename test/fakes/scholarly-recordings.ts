/**
 * The real recorded API responses in `../shared/data/` (read at test time, never copied), indexed
 * for the fake scholarly server. Requests that were recorded are answered with their recording;
 * other searches (the recordings only cover a few queries) get a real page built from recorded
 * records: every recorded work/paper of that API in one list (sliced to the requested page size),
 * arXiv's recorded `search_query=testing` page, PubMed's recorded `esearch1.xml`, and for `efetch`
 * the recorded articles asked for, or every recorded article when none of the PMIDs was recorded.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/data`, resolved from the repository root. */
export const SHARED_DATA = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data');

/** One answer of the fake. */
export interface FakeAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Whether the answer is a recording of this exact request or a stand-in page. */
  kind: 'recorded' | 'fallback' | 'not-found';
}

interface IndexEntry {
  file: string;
  url: string;
  status: number;
  method?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ATOM_TYPE = 'application/atom+xml; charset=utf-8';
const XML_TYPE = 'text/xml; charset=UTF-8';

function readIndex(dir: string): IndexEntry[] {
  return JSON.parse(readFileSync(join(SHARED_DATA, dir, 'index.json'), 'utf8')) as IndexEntry[];
}

function read(dir: string, file: string): string {
  return readFileSync(join(SHARED_DATA, dir, file), 'utf8');
}

/** Every recorded response of one API directory (`openalex-api`, ...) with its request, for parser tests. */
export function recordedResponses(dir: string): { file: string; url: URL; status: number; method: string; body: string }[] {
  return readIndex(dir).map((e) => ({ file: e.file, url: new URL(e.url), status: e.status, method: e.method ?? 'GET', body: read(dir, e.file) }));
}

/** Every recorded PubMed file (`esearch/...`, `efetch/...`, `esummary/...`), for parser tests. */
export function recordedPubmedFiles(): { file: string; body: string }[] {
  return ['esearch', 'efetch', 'esummary'].flatMap((sub) =>
    readdirSync(join(SHARED_DATA, 'pubmed-eutils', sub))
      .sort()
      .map((f) => ({ file: `${sub}/${f}`, body: read('pubmed-eutils', `${sub}/${f}`) })),
  );
}

function json(body: unknown, kind: FakeAnswer['kind'] = 'fallback', status = 200): FakeAnswer {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body), kind };
}

function limitOf(params: URLSearchParams, name: string, fallback: number): number {
  const n = Number(params.get(name));
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * OpenAlex: `/works?filter=title.search:...` and `/works/{doi url}` as recorded; any other list request
 * gets every recorded work. A single-work request in a form not recorded (`/works/W…`, `/works/doi:…`,
 * `/works/https://doi.org/…` of a work recorded only in a list) is answered with that recorded work
 * object, as OpenAlex answers every form of the same work alike; an unknown work is a 404.
 */
function openalex() {
  const byTitle = new Map<string, string>();
  const byPath = new Map<string, string>();
  const works = new Map<string, unknown>();
  for (const e of readIndex('openalex-api')) {
    const url = new URL(e.url);
    const body = read('openalex-api', e.file);
    const data = JSON.parse(body) as { results?: { id: string }[]; id?: string; title?: string };
    const filter = url.searchParams.get('filter');
    if (url.pathname === '/works' && filter) byTitle.set(filter, body);
    else byPath.set(`${decodeURIComponent(url.pathname)}|${url.searchParams.get('select') ?? ''}`, body);
    for (const w of data.results ?? (data.id && data.title ? [data as { id: string }] : [])) works.set(w.id, w);
  }
  const all = [...works.values()];
  // Whole work objects only (the `select=open_access,doi` recordings have neither id nor title).
  const byDoi = new Map((all as { doi?: string | null }[]).filter((w) => w.doi).map((w) => [w.doi!.replace(/^https:\/\/doi\.org\//i, '').toLowerCase(), w]));
  return (path: string, params: URLSearchParams): FakeAnswer => {
    if (path === '/works') {
      const recorded = byTitle.get(params.get('filter') ?? '');
      if (recorded) return { status: 200, contentType: JSON_TYPE, body: recorded, kind: 'recorded' };
      const perPage = limitOf(params, 'per-page', 25);
      return json({ meta: { count: all.length, db_response_time_ms: 1, page: 1, per_page: perPage, groups_count: null }, results: all.slice(0, perPage), group_by: [] });
    }
    const recorded = byPath.get(`${decodeURIComponent(path)}|${params.get('select') ?? ''}`);
    if (recorded) return { status: 200, contentType: JSON_TYPE, body: recorded, kind: 'recorded' };
    const key = decodeURIComponent(path).replace(/^\/works\//, '');
    const doi = /^(?:doi:|https:\/\/doi\.org\/)(10\..+)$/i.exec(key)?.[1]?.toLowerCase();
    const work = doi ? byDoi.get(doi) : works.get(`https://openalex.org/${key.toUpperCase()}`);
    if (work) return json(work);
    return json({ error: 'Not found', message: 'The requested work was not found.' }, 'not-found', 404);
  };
}

/**
 * arXiv: recorded `id_list` lookups and `search_query=testing` pages; other searches get the recorded
 * testing page that fits. A lookup by `id_list` alone (no search query) is answered with the recording
 * of that id whatever its `start`/`max_results` (the recordings asked with `max_results=100`, a single-
 * paper lookup asks for 1; for one id the feed is the same), and an id never recorded with the recorded
 * empty feed of `id_list=0000.0000`, which is how arXiv answers an id it does not have.
 */
function arxiv() {
  const recorded = new Map<string, { status: number; body: string }>();
  const byIdList = new Map<string, { status: number; body: string }>();
  const testingPages: { max: number; body: string }[] = [];
  for (const e of readIndex('arxiv-api')) {
    const p = new URL(e.url).searchParams;
    const body = read('arxiv-api', e.file);
    recorded.set(`${p.get('search_query')}|${p.get('id_list')}|${p.get('start')}|${p.get('max_results')}`, { status: e.status, body });
    if (!p.get('search_query') && p.get('id_list') && p.get('start') === '0') byIdList.set(p.get('id_list')!, { status: e.status, body });
    if (p.get('search_query') === 'testing' && p.get('start') === '0') testingPages.push({ max: Number(p.get('max_results')), body });
  }
  testingPages.sort((a, b) => a.max - b.max);
  const emptyFeed = byIdList.get('0000.0000')!;
  return (_path: string, params: URLSearchParams): FakeAnswer => {
    const key = `${params.get('search_query') ?? ''}|${params.get('id_list') ?? ''}|${params.get('start') ?? '0'}|${params.get('max_results') ?? '10'}`;
    const hit = recorded.get(key);
    if (hit) return { status: hit.status, contentType: ATOM_TYPE, body: hit.body, kind: 'recorded' };
    const idList = params.get('id_list');
    if (idList && !params.get('search_query')) {
      const same = byIdList.get(idList);
      if (same) return { status: same.status, contentType: ATOM_TYPE, body: same.body, kind: 'recorded' };
      return { status: 200, contentType: ATOM_TYPE, body: emptyFeed.body, kind: 'not-found' };
    }
    const max = limitOf(params, 'max_results', 10);
    const page = [...testingPages].reverse().find((p) => p.max <= max) ?? testingPages[0]!;
    return { status: 200, contentType: ATOM_TYPE, body: page.body, kind: 'fallback' };
  };
}

/** Crossref: recorded `/works/{doi}` and `query.title` lists; other list queries get every recorded work. */
function crossref() {
  const byDoi = new Map<string, string>();
  const byTitle = new Map<string, string>();
  const works = new Map<string, unknown>();
  for (const e of readIndex('crossref-api')) {
    const url = new URL(e.url);
    const body = read('crossref-api', e.file);
    const data = JSON.parse(body) as { message: { items?: { DOI: string }[]; DOI?: string } };
    if (url.pathname.startsWith('/works/')) byDoi.set(decodeURIComponent(url.pathname.slice(7)).toLowerCase(), body);
    else if (url.searchParams.has('query.title')) byTitle.set(url.searchParams.get('query.title')!, body);
    for (const w of data.message.items ?? (data.message.DOI ? [data.message as { DOI: string }] : [])) works.set(w.DOI.toLowerCase(), w);
  }
  const all = [...works.values()];
  return (path: string, params: URLSearchParams): FakeAnswer => {
    if (path.startsWith('/works/')) {
      const body = byDoi.get(decodeURIComponent(path.slice(7)).toLowerCase());
      if (body) return { status: 200, contentType: JSON_TYPE, body, kind: 'recorded' };
      return { status: 404, contentType: 'text/plain', body: 'Resource not found.', kind: 'not-found' };
    }
    const title = params.get('query.title');
    const recorded = title ? byTitle.get(title) : undefined;
    if (recorded) return { status: 200, contentType: JSON_TYPE, body: recorded, kind: 'recorded' };
    const rows = limitOf(params, 'rows', 20);
    const query = params.get('query.bibliographic') ?? params.get('query') ?? '';
    return json({
      status: 'ok',
      'message-type': 'work-list',
      'message-version': '1.0.0',
      message: { facets: {}, 'total-results': all.length, items: all.slice(0, rows), 'items-per-page': rows, query: { 'start-index': 0, 'search-terms': query } },
    });
  };
}

/** Semantic Scholar: recorded searches (by query and filters), matches and lookups; other searches get every recorded full paper. */
function semanticScholar() {
  const recorded = new Map<string, { status: number; body: string }>();
  const papers = new Map<string, unknown>();
  const keyOf = (path: string, params: URLSearchParams) => {
    const kept = [...params].filter(([k]) => !['fields', 'offset', 'limit'].includes(k)).sort();
    return `${decodeURIComponent(path)}?${kept.map(([k, v]) => `${k}=${v}`).join('&')}`;
  };
  for (const e of readIndex('semantic-scholar-api')) {
    const url = new URL(e.url);
    const path = url.pathname.replace(/^\/graph\/v1/, '');
    const body = read('semantic-scholar-api', e.file);
    recorded.set(`${e.method ?? 'GET'} ${keyOf(path, url.searchParams)}`, { status: e.status, body });
    if (e.status !== 200) continue;
    const data = JSON.parse(body) as unknown;
    const list = Array.isArray(data) ? data : path.startsWith('/paper/search/match') ? (data as { data?: unknown[] }).data ?? [] : path.startsWith('/paper/') && !path.includes('/search') && !/\/(references|authors)$/.test(path) ? [data] : [];
    for (const p of list as ({ paperId?: string; title?: string } | null)[]) if (p?.paperId && p.title) papers.set(p.paperId, p);
  }
  const all = [...papers.values()];
  return (path: string, params: URLSearchParams, method: string): FakeAnswer => {
    const hit = recorded.get(`${method} ${keyOf(path, params)}`) ?? (method === 'POST' && path === '/paper/batch' ? [...recorded].find(([k]) => k.startsWith('POST /paper/batch'))?.[1] : undefined);
    if (hit) return { status: hit.status, contentType: JSON_TYPE, body: hit.body, kind: 'recorded' };
    if (path === '/paper/search') {
      const limit = limitOf(params, 'limit', 10);
      const data = all.slice(0, limit);
      return json({ total: all.length, offset: 0, ...(all.length > limit ? { next: limit } : {}), data });
    }
    return json({ error: `Paper with id ${decodeURIComponent(path.slice(7))} not found` }, 'not-found', 404);
  };
}

/** PubMed: recorded `esearch` answers by term (others get `esearch1.xml`); `efetch` from the recorded articles. */
function pubmed() {
  const dir = join(SHARED_DATA, 'pubmed-eutils');
  const esearch = new Map<string, string>([
    ['biopython', read('pubmed-eutils', 'esearch/esearch1.xml')],
    ['cancer', read('pubmed-eutils', 'esearch/esearch2.xml')],
    ['PNAS[ta] AND 97[vi]', read('pubmed-eutils', 'esearch/esearch3.xml')],
    ['stem cells AND hasabstract', read('pubmed-eutils', 'esearch/esearch5.xml')],
  ]);
  const articles = new Map<string, string>();
  let prolog = '<?xml version="1.0" ?>\n';
  for (const file of readdirSync(join(dir, 'efetch')).sort()) {
    const body = read('pubmed-eutils', `efetch/${file}`);
    prolog = body.slice(0, body.indexOf('<PubmedArticleSet>'));
    for (const m of body.matchAll(/<PubmedArticle>[\s\S]*?<\/PubmedArticle>/g)) {
      const pmid = m[0].match(/<PMID[^>]*>(\d+)<\/PMID>/)?.[1];
      if (pmid) articles.set(pmid, m[0]);
    }
  }
  return (path: string, params: URLSearchParams): FakeAnswer => {
    if (path === '/esearch.fcgi') {
      const recorded = esearch.get(params.get('term') ?? '');
      return { status: 200, contentType: XML_TYPE, body: recorded ?? esearch.get('biopython')!, kind: recorded ? 'recorded' : 'fallback' };
    }
    if (path === '/efetch.fcgi') {
      const ids = (params.get('id') ?? '').split(',').filter(Boolean);
      const found = ids.map((id) => articles.get(id)).filter((a): a is string => Boolean(a));
      const chosen = found.length > 0 ? found : [...articles.values()];
      const body = `${prolog}<PubmedArticleSet>\n${chosen.join('\n')}\n</PubmedArticleSet>\n`;
      return { status: 200, contentType: XML_TYPE, body, kind: found.length === ids.length ? 'recorded' : 'fallback' };
    }
    return { status: 404, contentType: 'text/plain', body: 'Not found', kind: 'not-found' };
  };
}

/** The fake's answer function per source: `(path below the base URL, query, method) => answer`. */
export type Responder = (path: string, params: URLSearchParams, method: string) => FakeAnswer;

/** Loads every recording and returns the responders, keyed by source name. */
export function loadRecordings(): Record<'openalex' | 'arxiv' | 'crossref' | 'semanticscholar' | 'pubmed', Responder> {
  return { openalex: openalex(), arxiv: arxiv(), crossref: crossref(), semanticscholar: semanticScholar(), pubmed: pubmed() };
}
