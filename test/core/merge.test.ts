import { describe, expect, it } from 'vitest';
import type { Paper } from '../../src/model.js';
import { mergePapers, normalizeArxivId, normalizeDoi, normalizeTitle } from '../../src/pipeline/merge.js';

const paper = (over: Partial<Paper> & { id: string }): Paper => ({
  title: 'A sufficiently long title about something',
  abstract: '',
  authors: [],
  ids: {},
  sources: ['x'],
  ...over,
});

describe('identifier normalisation', () => {
  it('normalises DOIs in their common spellings', () => {
    for (const doi of ['10.1000/ABC', 'https://doi.org/10.1000/abc', 'http://dx.doi.org/10.1000/abc', 'doi:10.1000/abc']) {
      expect(normalizeDoi(doi)).toBe('10.1000/abc');
    }
    expect(normalizeDoi('not a doi')).toBeUndefined();
  });

  it('drops arXiv versions and prefixes', () => {
    expect(normalizeArxivId('2104.12255v1')).toBe('2104.12255');
    expect(normalizeArxivId('arXiv:2104.12255')).toBe('2104.12255');
    expect(normalizeArxivId('http://arxiv.org/abs/hep-th/9901001v2')).toBe('hep-th/9901001');
    expect(normalizeArxivId('quant-ph/0201082v1')).toBe('quant-ph/0201082');
  });

  it('folds titles for matching', () => {
    expect(normalizeTitle('Attention Is <i>All</i> You Need!')).toBe('attention is all you need');
  });
});

describe('mergePapers', () => {
  it('merges the same paper found by several sources, keeping every id, the fullest abstract and best metadata', () => {
    const { papers, duplicates } = mergePapers([
      paper({ id: 'openalex:W1', ids: { doi: '10.1000/ABC', openalex: 'W1' }, sources: ['openalex'], abstract: 'Short.', year: 2020 }),
      paper({ id: 'crossref:1', doi: 'https://doi.org/10.1000/abc', ids: { doi: 'https://doi.org/10.1000/abc' }, sources: ['crossref'], venue: 'Nature', abstract: 'A much fuller abstract with more words.' }),
      paper({ id: 'pubmed:9', ids: { pmid: '9', doi: '10.1000/abc' }, sources: ['pubmed'], authors: ['A One', 'B Two'], citationCount: 3 }),
    ]);
    expect(duplicates).toBe(2);
    expect(papers).toHaveLength(1);
    const merged = papers[0]!;
    expect(merged.id).toBe('openalex:W1');
    expect(merged.sources).toEqual(['openalex', 'crossref', 'pubmed']);
    expect(merged.ids).toMatchObject({ openalex: 'W1', pmid: '9' });
    expect(merged.abstract).toBe('A much fuller abstract with more words.');
    expect(merged).toMatchObject({ venue: 'Nature', year: 2020, citationCount: 3, authors: ['A One', 'B Two'] });
  });

  it('merges arXiv versions and records without ids by title and year, transitively', () => {
    const { papers } = mergePapers([
      paper({ id: 'arxiv:1', ids: { arxiv: '1707.08567v1' }, title: 'Quantum Widgets for Everyone', year: 2017 }),
      paper({ id: 's2:1', ids: { arxiv: '1707.08567', s2: 'abc' }, title: 'Quantum widgets for everyone', year: 2017 }),
      paper({ id: 'crossref:2', ids: {}, title: 'Quantum Widgets for Everyone.', year: 2017 }),
      paper({ id: 'crossref:3', ids: {}, title: 'Quantum Widgets for Everyone', year: 2019 }),
    ]);
    expect(papers.map((p) => p.id)).toEqual(['arxiv:1', 'crossref:3']);
  });

  it('does not merge different papers that share only a short generic title', () => {
    const { papers } = mergePapers([paper({ id: 'a', title: 'Introduction' }), paper({ id: 'b', title: 'Introduction' })]);
    expect(papers).toHaveLength(2);
  });
});
