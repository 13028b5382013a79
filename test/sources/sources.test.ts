// Each live source, built by its registered factory from configuration, against the loopback fake:
// what it sends (query, year filter, polite-pool and key parameters), what it maps, and how each
// injected fault surfaces as a SourceError.
import { Keyv } from 'keyv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { LiveSourceName } from '../../src/model.js';
import { arxivSearchQuery } from '../../src/sources/arxiv.js';
import '../../src/sources/live.js';
import { createLiveSources } from '../../src/sources/registry.js';
import type { SearchQuery, Source } from '../../src/sources/source.js';
import { startFakeScholarlyServer, type FakeScholarlyServer, type FakeSource } from '../fakes/scholarly-server.js';
import { sourceFailure } from '../helpers/errors.js';

let fake: FakeScholarlyServer;
beforeAll(async () => {
  fake = await startFakeScholarlyServer();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function source(name: LiveSourceName, env: Record<string, string> = {}): Source {
  const config = loadConfig({ ...fake.env, SYNTH_SOURCE_TIMEOUT_MS: '5000', ...env });
  return createLiveSources([name], { config, log: silentLogger, cache: new Keyv() }).sources[0]!;
}

const query = (overrides: Partial<SearchQuery> = {}): SearchQuery => ({
  question: 'Do large language models with chemistry tools help?',
  text: 'large language models chemistry tools',
  terms: ['large language models', 'chemistry', 'tools'],
  maxResults: 10,
  ...overrides,
});

const ctx = () => ({ signal: new AbortController().signal, log: silentLogger });

describe('live sources against the fake', () => {
  it('OpenAlex: search, year filter, polite-pool mailto; maps recorded works', async () => {
    const papers = await source('openalex', { CONTACT_EMAIL: 'dev@example.org' }).search(query({ yearFrom: 2015, yearTo: 2020 }), ctx());
    expect(papers.length).toBeGreaterThan(3);
    expect(papers.every((p) => p.id.startsWith('openalex:W') && p.sources[0] === 'openalex')).toBe(true);
    const [req] = fake.requestsFor('openalex');
    expect(req!.path).toBe('/works');
    expect(req!.params.get('search')).toBe('large language models chemistry tools');
    expect(req!.params.get('filter')).toBe('has_abstract:true,from_publication_date:2015-01-01,to_publication_date:2020-12-31');
    expect(req!.params.get('per-page')).toBe('10');
    expect(req!.params.get('mailto')).toBe('dev@example.org');
    expect(req!.headers['user-agent']).toBe('research-synthesis-bot/0.1.0 (mailto:dev@example.org)');
  });

  it('arXiv: Atom search with a submittedDate range; ids without versions', async () => {
    const papers = await source('arxiv').search(query({ yearFrom: 2019 }), ctx());
    expect(papers).toHaveLength(10);
    expect(papers.every((p) => /^arxiv:\d{4}\.\d{4,5}$/.test(p.id) && !/v\d+$/.test(p.ids.arxiv!))).toBe(true);
    const [req] = fake.requestsFor('arxiv');
    expect(req!.path).toBe('/query');
    expect(req!.params.get('search_query')).toMatch(/^\(all:\("large language models" chemistry tools\)\) AND submittedDate:\[201901010000 TO \d{4}12312359\]$/);
    expect(req!.params.get('sortBy')).toBe('relevance');
    expect(req!.params.get('max_results')).toBe('10');
    expect(arxivSearchQuery({ text: 'ti:transformer AND au:vaswani', terms: [] })).toBe('ti:transformer AND au:vaswani');
    expect(arxivSearchQuery({ text: 'graphene', terms: [], yearTo: 2010 })).toBe('(all:graphene) AND submittedDate:[199101010000 TO 201012312359]');
  });

  it('Crossref: bibliographic query with date filters and mailto; JATS abstracts as text', async () => {
    const papers = await source('crossref', { CONTACT_EMAIL: 'dev@example.org' }).search(query({ yearTo: 2021 }), ctx());
    expect(papers).toHaveLength(10);
    const [req] = fake.requestsFor('crossref');
    expect(req!.params.get('query.bibliographic')).toBe('large language models chemistry tools');
    expect(req!.params.get('filter')).toBe('has-abstract:true,until-pub-date:2021-12-31');
    expect(req!.params.get('rows')).toBe('10');
    expect(req!.params.get('mailto')).toBe('dev@example.org');
    expect(papers.some((p) => p.abstract.length > 100 && !p.abstract.includes('<'))).toBe(true);
  });

  it('Semantic Scholar: fields and year range; the key goes in x-api-key only when set', async () => {
    const papers = await source('semanticscholar', { SEMANTIC_SCHOLAR_API_KEY: 's2-key' }).search(query({ yearFrom: 2010, yearTo: 2024 }), ctx());
    expect(papers.length).toBeGreaterThan(3);
    const [req] = fake.requestsFor('semanticscholar');
    expect(req!.path).toBe('/paper/search');
    expect(req!.params.get('year')).toBe('2010-2024');
    expect(req!.params.get('fields')).toBe('title,abstract,year,venue,externalIds,citationCount,authors,url');
    expect(req!.headers['x-api-key']).toBe('s2-key');
    fake.reset();
    await source('semanticscholar').search(query({ text: 'another question', yearTo: 2000 }), ctx());
    expect(fake.requestsFor('semanticscholar')[0]!.headers['x-api-key']).toBeUndefined();
    expect(fake.requestsFor('semanticscholar')[0]!.params.get('year')).toBe('-2000');
  });

  it('PubMed: esearch then efetch of the PMIDs found, with tool/email/api_key and a date range', async () => {
    const papers = await source('pubmed', { CONTACT_EMAIL: 'dev@example.org', NCBI_API_KEY: 'ncbi-key' }).search(query({ yearFrom: 2016 }), ctx());
    expect(papers.length).toBe(8);
    const [search, fetch] = fake.requestsFor('pubmed');
    expect(search!.path).toBe('/esearch.fcgi');
    expect(Object.fromEntries(search!.params)).toMatchObject({
      db: 'pubmed',
      term: 'large language models chemistry tools',
      sort: 'relevance',
      datetype: 'pdat',
      mindate: '2016',
      maxdate: '3000',
      tool: 'research-synthesis-bot',
      email: 'dev@example.org',
      api_key: 'ncbi-key',
    });
    expect(fetch!.path).toBe('/efetch.fcgi');
    expect(fetch!.params.get('id')!.split(',')).toHaveLength(10);
    expect(papers.find((p) => p.ids.pmid === '27797938')!.abstract).toMatch(/^OBJECTIVE: /);
  });

  it('PubMed does not call efetch after a failed esearch', async () => {
    fake.fault('pubmed', { kind: 'schema' }, 1);
    const error = await sourceFailure(source('pubmed').search(query(), ctx()));
    expect(error.message).toMatch(/^pubmed: unexpected response shape/);
    expect(fake.requestsFor('pubmed')).toHaveLength(1);
  });

  const faultCases: [FakeSource & LiveSourceName, string][] = [
    ['openalex', 'JSON'],
    ['arxiv', 'XML'],
    ['crossref', 'JSON'],
    ['semanticscholar', 'JSON'],
    ['pubmed', 'XML'],
  ];
  it.each(faultCases)('%s: invalid %s and a schema change are source_malformed, not retried', async (name, format) => {
    fake.fault(name, { kind: 'invalid' }, 1);
    const invalid = await sourceFailure(source(name).search(query({ text: `invalid ${name}` }), ctx()));
    expect(invalid).toMatchObject({ code: 'source_malformed', source: name });
    expect(invalid.message).toMatch(new RegExp(`^${name}: malformed ${format} \\(`));
    fake.fault(name, { kind: 'schema' }, 1);
    const changed = await sourceFailure(source(name).search(query({ text: `schema ${name}` }), ctx()));
    expect(changed).toMatchObject({ code: 'source_malformed' });
    expect(changed.message).toMatch(new RegExp(`^${name}: unexpected response shape`));
    expect(fake.requestsFor(name)).toHaveLength(2);
  });

  it('drops single records in an unexpected shape and warns, keeping the rest', async () => {
    const warnings: string[] = [];
    const { createOpenAlexSource } = await import('../../src/sources/openalex.js');
    const s = createOpenAlexSource(
      { baseUrl: 'http://unused.invalid' },
      {
        http: {
          source: 'openalex',
          fetch: async (_req, parse) => parse(JSON.stringify({ results: [{ id: 'W1', title: 'A title here' }, { title: 'no id' }] })),
        },
      },
    );
    const papers = await s.search(query(), { ...ctx(), warn: (_code, message) => warnings.push(message) });
    expect(papers.map((p) => p.id)).toEqual(['openalex:W1']);
    expect(warnings).toEqual(['openalex: 1 record(s) in an unexpected shape were skipped.']);
  });
});
