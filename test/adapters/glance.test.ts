/** The platform-neutral pieces of the answer at a glance: confidence words, top claims, repeated quotes, source links. */
import { describe, expect, it } from 'vitest';
import { confidenceWords, inlineClaims, quoteRepeatsClaim } from '../../adapters/shared/glance.js';
import { referenceLink } from '../../adapters/shared/reference-link.js';
import type { Claim, Report } from '../../src/model.js';

const ref = (fields: { id: string; doi?: string; url?: string }) => ({ title: 't', authors: [], ...fields });

describe('the answer at a glance', () => {
  it('puts confidence in words: low < 0.5 <= medium < 0.75 <= high', () => {
    expect([0, 0.49, 0.5, 0.74, 0.75, 1].map(confidenceWords)).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high']);
  });

  it('takes the claims the answer rests on first, then the earliest, and keeps report order', () => {
    const claims = Array.from({ length: 6 }, (_, i) => ({ id: `c${i + 1}` }) as Claim);
    const report = (basis?: string[]) => ({ claims, ...(basis ? { answer: { verdict: 'yes', confidence: 'low', basis, text: '' } } : {}) }) as unknown as Report;
    expect(inlineClaims(report()).map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect(inlineClaims(report(['c6', 'c4'])).map((c) => c.id)).toEqual(['c1', 'c4', 'c6']);
    expect(inlineClaims(report(['c6', 'c5', 'c4', 'c3'])).map((c) => c.id)).toEqual(['c3', 'c4', 'c5']);
  });

  it('knows when a quote would only repeat its claim', () => {
    expect(quoteRepeatsClaim({ text: 'Hip fractures fell by 12%.', quote: '  “Hip  fractures fell by 12%” ' })).toBe(true);
    expect(quoteRepeatsClaim({ text: 'Hip fractures fell by 12%', quote: 'CONCLUSIONS: Hip fractures fell by 12%.' })).toBe(true);
    expect(quoteRepeatsClaim({ text: 'Hip fractures fell.', quote: 'In 4,000 women followed for five years in three countries, hip fractures fell.' })).toBe(false);
    expect(quoteRepeatsClaim({ text: 'Vitamin D lowers fracture risk.', quote: 'Hip fractures fell by 12%.' })).toBe(false);
  });
});

describe('source links', () => {
  it('links DOI, then URL, then PubMed, arXiv, Crossref, OpenAlex and Semantic Scholar ids', () => {
    expect(referenceLink(ref({ id: 'pubmed:1', doi: '10.1/a b', url: 'https://x.org' }))).toBe('https://doi.org/10.1/a%20b');
    expect(referenceLink(ref({ id: 'x', doi: 'https://doi.org/10.1/ab' }))).toBe('https://doi.org/10.1/ab');
    expect(referenceLink(ref({ id: 'pubmed:31', url: 'https://x.org/p' }))).toBe('https://x.org/p');
    expect(referenceLink(ref({ id: 'pubmed:31', url: 'javascript:alert(1)' }))).toBe('https://pubmed.ncbi.nlm.nih.gov/31/');
    expect(referenceLink(ref({ id: 'arxiv:2101.00001v2' }))).toBe('https://arxiv.org/abs/2101.00001v2');
    expect(referenceLink(ref({ id: 'arxiv:hep-th/9901001' }))).toBe('https://arxiv.org/abs/hep-th/9901001');
    expect(referenceLink(ref({ id: 'crossref:10.1000/xyz' }))).toBe('https://doi.org/10.1000/xyz');
    expect(referenceLink(ref({ id: 'openalex:W2741809807' }))).toBe('https://openalex.org/W2741809807');
    expect(referenceLink(ref({ id: `s2:${'a'.repeat(40)}` }))).toBe(`https://www.semanticscholar.org/paper/${'a'.repeat(40)}`);
  });

  it('links nothing it cannot trust: corpus ids, malformed ids, other schemes, over-long URLs', () => {
    expect(referenceLink(ref({ id: 'scifact:4983' }))).toBeUndefined();
    expect(referenceLink(ref({ id: 'pubmed:12a' }))).toBeUndefined();
    expect(referenceLink(ref({ id: 'arxiv:../../evil' }))).toBeUndefined();
    expect(referenceLink(ref({ id: 'c', url: 'ftp://x.org/p' }))).toBeUndefined();
    expect(referenceLink(ref({ id: 'c', url: `https://x.org/${'a'.repeat(600)}` }))).toBeUndefined();
    expect(referenceLink(undefined)).toBeUndefined();
    expect(referenceLink(ref({ id: 'c', doi: '10.1/<@U1>|x' }))).toBe('https://doi.org/10.1/%3C@U1%3E%7Cx');
  });
});
