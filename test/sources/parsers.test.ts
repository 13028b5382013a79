// Parser tests over every recorded response in ../shared/data: each file either maps to papers with
// plain-text fields or, when it belongs to an endpoint the sources do not call, is rejected as
// `source_malformed` (never a crash, never a half-read record).
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import type { Paper } from '../../src/model.js';
import { parseArxivFeed } from '../../src/sources/arxiv.js';
import { parseCrossrefList, parseCrossrefWork } from '../../src/sources/crossref.js';
import { markupToText } from '../../src/sources/markup.js';
import { OpenAlexWorkSchema, openAlexWorkToPaper, parseOpenAlexPage, rebuildAbstract } from '../../src/sources/openalex.js';
import { parseEfetch, parseEsearch } from '../../src/sources/pubmed.js';
import { parseS2Batch, parseS2Paper, parseS2SearchPage, S2PaperSchema, s2PaperToPaper } from '../../src/sources/semantic-scholar.js';
import { recordedPubmedFiles, recordedResponses } from '../fakes/scholarly-recordings.js';

/** Plain text: no tags, no entities, no control characters, no doubled or edge whitespace. */
function expectPlain(text: string): void {
  expect(text).not.toMatch(/<\/?[a-z][\w:-]*[\s>/]/i);
  expect(text).not.toMatch(/&(?:[a-z]+|#\d+|#x[0-9a-f]+);/i);
  // eslint-disable-next-line no-control-regex -- checking that control characters are gone
  expect(text).not.toMatch(/[\u0000-\u001f\u007f]/);
  expect(text).toBe(text.trim());
  expect(text).not.toMatch(/\s{2}/);
}

function expectWellFormed(papers: Paper[], source: string): void {
  for (const p of papers) {
    expect(p.sources).toEqual([source]);
    expect(p.title.length).toBeGreaterThan(0);
    expectPlain(p.title);
    expectPlain(p.abstract);
    for (const a of p.authors) expectPlain(a);
    if (p.doi) expect(p.doi).toMatch(/^10\.\S+\/\S+$/);
    if (p.year !== undefined) expect(p.year).toBeGreaterThan(1800);
  }
}

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('source_malformed');
    return;
  }
  throw new Error('expected a source_malformed error');
}

describe('OpenAlex recordings', () => {
  const files = recordedResponses('openalex-api');

  it('reads every recorded file: list pages, single works, and rejects select=open_access answers', () => {
    expect(files).toHaveLength(11);
    for (const f of files) {
      const data = JSON.parse(f.body) as Record<string, unknown>;
      if (f.url.pathname === '/works') {
        const page = parseOpenAlexPage(f.body);
        expect(page.records.length).toBe((data['results'] as unknown[]).length);
        expect(page.dropped).toBe(0);
        expectWellFormed(page.records, 'openalex');
      } else if (f.url.searchParams.has('select')) {
        expect(OpenAlexWorkSchema.safeParse(data).success).toBe(false);
        expectMalformed(() => parseOpenAlexPage(f.body));
      } else {
        const paper = openAlexWorkToPaper(OpenAlexWorkSchema.parse(data));
        expectWellFormed([paper], 'openalex');
        expect(paper.ids.doi).toBe(decodeURIComponent(f.url.pathname.replace('/works/https://doi.org/', '')).toLowerCase());
      }
    }
  });

  it('rebuilds the abstract from the inverted index in word order', () => {
    const f = files.find((x) => x.file.includes('PaperQA'))!;
    const [paper] = parseOpenAlexPage(f.body).records;
    expect(paper!.abstract.startsWith('Large Language Models (LLMs) generalize well across language tasks, but suffer from hallucinations')).toBe(true);
    const index = (JSON.parse(f.body) as { results: { abstract_inverted_index: Record<string, number[]> }[] }).results[0]!.abstract_inverted_index;
    const positions = Object.values(index).reduce((n, p) => n + p.length, 0);
    expect(paper!.abstract.split(' ')).toHaveLength(positions);
    expect(rebuildAbstract({ b: [1], a: [0], c: [3] })).toBe('a b c');
    expect(rebuildAbstract(null)).toBe('');
  });

  it('maps ids: OpenAlex id, DOI, PMID, and the arXiv id of an arXiv DOI', () => {
    const chem = parseOpenAlexPage(files.find((x) => x.file.includes('chemis'))!.body).records;
    expect(chem[0]!.ids).toEqual({ openalex: 'W4396723768', doi: '10.1038/s42256-024-00832-8', pmid: '38799228' });
    expect(chem[0]!.venue).toBeTruthy();
    expect(chem[0]!.citationCount).toBeGreaterThan(0);
    expect(chem[1]!.ids).toMatchObject({ doi: '10.48550/arxiv.2304.05376', arxiv: '2304.05376' });
    expect(chem[0]!.sourceScore).toBeGreaterThan(chem[1]!.sourceScore!);
  });
});

describe('arXiv recordings', () => {
  const files = recordedResponses('arxiv-api');

  it('reads every recorded feed with its entry count; the error feed becomes arXiv\'s own message', () => {
    expect(files).toHaveLength(20);
    const index = new Map(files.map((f) => [f.file, f]));
    for (const f of index.values()) {
      const expected = Number((f.body.match(/<entry>/g) ?? []).length);
      if (f.url.searchParams.get('id_list') === 'abc') {
        expect(() => parseArxivFeed(f.body)).toThrow(/arxiv: API error: incorrect id format for abc/);
        continue;
      }
      const feed = parseArxivFeed(f.body);
      expect(feed.records).toHaveLength(expected);
      expect(feed.dropped).toBe(0);
      expectWellFormed(feed.records, 'arxiv');
      for (const p of feed.records) {
        expect(p.ids.arxiv).not.toMatch(/v\d+$/);
        expect(p.url).toBe(`https://arxiv.org/abs/${p.ids.arxiv}`);
      }
    }
    expect(parseArxivFeed(files.find((f) => f.file.includes('q_testing_s0_m100'))!.body).total).toBe(214881);
  });

  it('drops versions from new- and old-style ids and keeps journal references and DOIs', () => {
    const byId = (id: string) => parseArxivFeed(files.find((f) => f.url.searchParams.get('id_list') === id)!.body).records[0]!;
    expect(byId('2104.12255v1')).toMatchObject({ id: 'arxiv:2104.12255', title: '0', year: 2021, ids: { arxiv: '2104.12255' } });
    expect(byId('quant-ph/0201082v1').ids.arxiv).toBe('quant-ph/0201082');
    const ogle = byId('astro-ph/0601001');
    expect(ogle).toMatchObject({ id: 'arxiv:astro-ph/0601001', venue: 'ActaAstron.56:1-50,2006', year: 2006 });
    expect(ogle.authors).toEqual(['Andrew Gould', 'Susan Dorsher', 'B. Scott Gaudi', 'Andrzej Udalski']);
    expect(ogle.abstract).toContain('V_max<17.5');
    expect(ogle.abstract.startsWith('We derive the frequencies')).toBe(true);
    const withDoi = parseArxivFeed(files.find((f) => f.file.includes('q_testing_s0_m100'))!.body).records.filter((p) => p.doi);
    expect(withDoi.length).toBeGreaterThan(10);
    expect(withDoi[0]!.ids.doi).toBe(withDoi[0]!.doi);
  });
});

describe('Crossref recordings', () => {
  const files = recordedResponses('crossref-api');

  it('reads every recorded list and single work', () => {
    expect(files).toHaveLength(42);
    let abstracts = 0;
    for (const f of files) {
      const papers = f.url.pathname === '/works' ? parseCrossrefList(f.body).records : [parseCrossrefWork(f.body)];
      expectWellFormed(papers, 'crossref');
      abstracts += papers.filter((p) => p.abstract).length;
      for (const p of papers) expect(p.abstract).not.toMatch(/^(?:Abstract|ABSTRACT|Summary)\b/);
    }
    expect(abstracts).toBeGreaterThan(30);
  });

  it('turns JATS into plain text, keeping section titles as labels', () => {
    const paperqa = parseCrossrefList(files.find((f) => f.file.includes('PaperQA'))!.body).records[0]!;
    expect(paperqa.abstract).toMatch(/^Objective: To automate scientific claim verification using PubMed abstracts\. Materials and Methods: /);
    const pnas = parseCrossrefWork(files.find((f) => f.file.includes('pnas.1414271111'))!.body);
    expect(pnas.abstract.startsWith('Significance: The inadequate mechanical properties')).toBe(true);
    expect(markupToText('<jats:title>Abstract</jats:title><jats:p>p<jats:sub>trend</jats:sub> &lt; 0.01 &amp; x</jats:p>')).toBe('ptrend < 0.01 & x');
    expect(markupToText('<p>Broken <i>markup</p> &amp; more')).toBe('Broken markup & more');
  });
});

describe('Semantic Scholar recordings', () => {
  const files = recordedResponses('semantic-scholar-api');

  it('reads searches, lookups, matches and batches; rejects other endpoints and error bodies', () => {
    expect(files).toHaveLength(45);
    for (const f of files) {
      const path = f.url.pathname.replace('/graph/v1', '');
      const data = JSON.parse(f.body) as { data?: unknown[]; total?: number };
      if (f.status !== 200) {
        expectMalformed(() => parseS2Paper(f.body));
      } else if (path === '/paper/search' || path === '/paper/search/bulk') {
        const page = parseS2SearchPage(f.body);
        expect(page.total).toBe(data.total);
        expectWellFormed(page.records, 'semanticscholar');
      } else if (path === '/paper/search/match') {
        const papers = (data.data ?? []).map((d) => s2PaperToPaper(S2PaperSchema.parse(d)));
        expectWellFormed(papers, 'semanticscholar');
      } else if (path === '/paper/batch') {
        const batch = parseS2Batch(f.body);
        expect(batch.records.length).toBeGreaterThan(0);
        expectWellFormed(batch.records, 'semanticscholar');
      } else if (/\/(?:references|authors)$/.test(path) || path.startsWith('/snippet')) {
        expectMalformed(() => parseS2SearchPage(f.body));
      } else {
        expectWellFormed([parseS2Paper(f.body)], 'semanticscholar');
      }
    }
  });

  it('maps external ids (DOI, arXiv, PubMed) and plain abstracts', () => {
    const chem = files.find((f) => f.file.includes('DOI-10.1038-s42256'))!;
    expect(parseS2Paper(chem.body).ids).toEqual({
      s2: '354dcdebf3f8b5feeed5c62090e0bc1f0c28db06',
      doi: '10.1038/s42256-024-00832-8',
      arxiv: '2304.05376',
      pmid: '38799228',
    });
    const batch = parseS2Batch(files.find((f) => f.file.includes('batch'))!.body).records;
    const dd = batch.find((p) => p.title.startsWith('How Much Should We Trust'))!;
    expect(dd.abstract.startsWith('Most Difference-in-Difference (DD) papers rely on many years of data')).toBe(true);
    expect(dd).toMatchObject({ year: 2001, doi: '10.2139/ssrn.288970', citationCount: 10670 });
    const empty = files.find((f) => f.file.includes('n0-r3sult'))!;
    expect(parseS2SearchPage(empty.body)).toMatchObject({ records: [], total: 0 });
  });
});

describe('PubMed recordings', () => {
  const files = recordedPubmedFiles();

  it('reads every esearch and efetch file; esummary is not an esearch answer', () => {
    expect(files.length).toBe(11);
    for (const f of files) {
      if (f.file.startsWith('esearch/')) {
        const found = parseEsearch(f.body);
        expect(found.ids.length).toBe((f.body.match(/<Id>/g) ?? []).length);
      } else if (f.file.startsWith('efetch/')) {
        const fetched = parseEfetch(f.body);
        expect(fetched.records).toHaveLength((f.body.match(/<PubmedArticle>/g) ?? []).length);
        expectWellFormed(fetched.records, 'pubmed');
        for (const p of fetched.records) expect(p.url).toBe(`https://pubmed.ncbi.nlm.nih.gov/${p.ids.pmid}/`);
      } else {
        expectMalformed(() => parseEsearch(f.body));
      }
    }
    expect(parseEsearch(files.find((f) => f.file === 'esearch/esearch1.xml')!.body)).toMatchObject({ count: 63, ids: expect.arrayContaining(['41282813']) });
  });

  it('keeps the section labels of structured abstracts and flattens inline markup and MathML', () => {
    const [telomere] = parseEfetch(files.find((f) => f.file === 'efetch/pubmed4.xml')!.body).records;
    expect(telomere!.abstract).toMatch(/^OBJECTIVE: Telomere shortening occurs as an early event/);
    const labels = telomere!.abstract.match(/\b[A-Z]{4,}: /g);
    expect(labels).toEqual(['OBJECTIVE: ', 'DESIGN: ', 'RESULTS: ', 'CONCLUSIONS: ']);
    expect(telomere!.abstract).toContain('ptrend=0.048');
    expect(telomere!).toMatchObject({ ids: { pmid: '27797938', doi: '10.1136/gutjnl-2016-312510' }, year: 2017 });
    const [lactate] = parseEfetch(files.find((f) => f.file === 'efetch/pubmed6.xml')!.body).records;
    expect(lactate!.abstract).toContain('maximal oxygen uptake ( V.O2max ) 67.6');
    expect(lactate!.title.startsWith('A "Blood Relationship"')).toBe(true);
  });

  it('ranks articles in the esearch order and reads the article PMID, not cited ones', () => {
    const body = files.find((f) => f.file === 'efetch/pubmed2.xml')!.body;
    const inOrder = parseEfetch(body, ['11700088', '11748933']).records;
    expect(inOrder.map((p) => p.ids.pmid)).toEqual(['11700088', '11748933']);
    expect(inOrder[0]!.sourceScore).toBe(1);
    const cited = parseEfetch(files.find((f) => f.file === 'efetch/pubmed4.xml')!.body).records;
    expect(cited.map((p) => p.ids.pmid)).toEqual(['27797938']);
    const [first] = parseEfetch(files.find((f) => f.file === 'efetch/pubmed1.xml')!.body).records;
    expect(first).toMatchObject({ ids: { pmid: '12091962' }, abstract: '', year: 1990, authors: ['J Michael Olivero'] });
  });
});
