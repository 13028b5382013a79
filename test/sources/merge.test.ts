// Merging and de-duplicating records of different sources, with records mapped from the real
// recorded payloads: the same paper found by OpenAlex, Crossref, Semantic Scholar and PubMed, a
// preprint joined to its journal version through arXiv ids, and title + year for records without ids.
import { describe, expect, it } from 'vitest';
import type { Paper } from '../../src/model.js';
import { mergePapers } from '../../src/pipeline/merge.js';
import { parseArxivFeed } from '../../src/sources/arxiv.js';
import { parseCrossrefList, parseCrossrefWork } from '../../src/sources/crossref.js';
import { OpenAlexWorkSchema, openAlexWorkToPaper, parseOpenAlexPage } from '../../src/sources/openalex.js';
import { parseS2Paper } from '../../src/sources/semantic-scholar.js';
import { recordedResponses } from '../fakes/scholarly-recordings.js';

const openalex = recordedResponses('openalex-api');
const crossref = recordedResponses('crossref-api');
const s2 = recordedResponses('semantic-scholar-api');
const arxiv = recordedResponses('arxiv-api');
const body = (files: typeof openalex, part: string) => files.find((f) => f.file.includes(part))!.body;

describe('merge across sources', () => {
  it('folds one DOI found by OpenAlex, Crossref and Semantic Scholar into one paper with every id', () => {
    const fromOpenAlex = openAlexWorkToPaper(OpenAlexWorkSchema.parse(JSON.parse(body(openalex, '10.1073-2Fpnas.1414271111'))));
    const fromCrossref = parseCrossrefWork(body(crossref, 'pnas.1414271111'));
    const fromS2 = parseS2Paper(body(s2, 'DOI-10.1073-pnas.1414271111'));
    const { papers, duplicates } = mergePapers([fromOpenAlex, fromCrossref, fromS2]);
    expect(duplicates).toBe(2);
    expect(papers).toHaveLength(1);
    const [merged] = papers;
    expect(merged!.sources).toEqual(['openalex', 'crossref', 'semanticscholar']);
    expect(merged!.ids).toMatchObject({ doi: '10.1073/pnas.1414271111', openalex: fromOpenAlex.ids.openalex, s2: fromS2.ids.s2, pmid: '25349395' });
    // The fullest abstract wins (S2's lookup has none, Crossref's carries the "Significance" section too).
    const longest = [fromOpenAlex, fromCrossref, fromS2].reduce((a, b) => (b.abstract.length > a.abstract.length ? b : a));
    expect(merged!.abstract).toBe(longest.abstract);
    expect(merged!.citationCount).toBe(Math.max(fromOpenAlex.citationCount ?? 0, fromCrossref.citationCount ?? 0, fromS2.citationCount ?? 0));
  });

  it('joins a preprint and its journal version through the arXiv id, keeping the publisher DOI and venue', () => {
    const [nature, preprint] = parseOpenAlexPage(body(openalex, 'chemis')).records;
    const s2Paper = parseS2Paper(body(s2, 'DOI-10.1038-s42256'));
    const crossrefChem = parseCrossrefList(body(crossref, 'chemistry-tool-2559749a')).records;
    // OpenAlex lists the arXiv preprint (10.48550/arxiv.2304.05376) and the Nature paper separately;
    // Semantic Scholar knows both ids of the one work.
    const { papers } = mergePapers([preprint!, ...crossrefChem, nature!, s2Paper]);
    const chem = papers.filter((p) => p.ids.arxiv === '2304.05376' || p.ids.doi === '10.1038/s42256-024-00832-8');
    expect(chem).toHaveLength(1);
    expect(chem[0]!.doi).toBe('10.1038/s42256-024-00832-8');
    expect(chem[0]!.ids).toMatchObject({ doi: '10.1038/s42256-024-00832-8', arxiv: '2304.05376', pmid: '38799228' });
    expect(chem[0]!.venue).not.toMatch(/^arxiv/i);
    expect(chem[0]!.sources).toEqual(expect.arrayContaining(['openalex', 'semanticscholar']));
  });

  it('matches arXiv versions and arXiv DOIs to the same id', () => {
    const [ax] = parseArxivFeed(body(arxiv, 'id_2104.12255v1')).records;
    const viaDoi: Paper = { ...ax!, id: 'openalex:W1', ids: { doi: '10.48550/arXiv.2104.12255v1' }, sources: ['openalex'], title: 'Zero in BLS' };
    const versioned: Paper = { ...ax!, id: 's2:x', ids: { arxiv: 'arXiv:2104.12255v2', s2: 'x' }, sources: ['semanticscholar'], title: 'Another title' };
    expect(mergePapers([ax!, viaDoi, versioned]).papers).toHaveLength(1);
  });

  it('falls back to title + year for records without ids, but never joins two different DOIs by title', () => {
    const base: Paper = {
      id: 'corpus:1',
      title: 'Effect of native oxide layers on copper thin-film tensile properties',
      abstract: 'short',
      authors: [],
      year: 2015,
      ids: {},
      sources: ['corpus'],
    };
    const [withDoi] = parseCrossrefList(body(crossref, 'Effect-of-native-oxide-layers-on-copper-thin-film-te-4cbc0299')).records;
    const sameTitleNoIds = { ...base, title: withDoi!.title, year: withDoi!.year };
    expect(mergePapers([withDoi!, sameTitleNoIds]).papers).toHaveLength(1);
    const otherDoi: Paper = { ...sameTitleNoIds, id: 'x:2', doi: '10.9999/other', ids: { doi: '10.9999/other' } };
    expect(mergePapers([withDoi!, otherDoi]).papers).toHaveLength(2);
    // A record without a DOI must not bridge two papers with different DOIs either.
    expect(mergePapers([withDoi!, sameTitleNoIds, otherDoi]).papers).toHaveLength(2);
    const otherYear = { ...sameTitleNoIds, year: 1999 };
    expect(mergePapers([withDoi!, otherYear]).papers).toHaveLength(2);
  });

  it('de-duplicates within one source and keeps first-seen order', () => {
    const page = parseCrossrefList(body(crossref, 'query-ecology-query.author-carl-boettiger')).records;
    const { papers, duplicates } = mergePapers([...page, ...page]);
    expect(duplicates).toBe(page.length);
    expect(papers.map((p) => p.id)).toEqual(mergePapers(page).papers.map((p) => p.id));
  });
});
