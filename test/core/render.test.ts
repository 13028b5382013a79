import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/model.js';
import { renderBibtex } from '../../src/render/bibtex.js';
import { renderJson } from '../../src/render/json.js';
import { formatReference, renderMarkdown } from '../../src/render/markdown.js';

const report: Report = {
  schemaVersion: 1,
  id: 'r1',
  question: 'Does <b>x</b> | y work?',
  title: 'Evidence synthesis: Does x work?',
  abstract: 'It leans towards yes [1, 2]. A *bold* claim [1].',
  createdAt: '2026-01-01T00:00:00.000Z',
  methodology: { engine: 'extractive', sources: [{ name: 'corpus', status: 'ok', found: 2 }], identified: 2, deduplicated: 2, screened: 2, included: 2 },
  claims: [
    {
      id: 'c1',
      text: 'X improved y | z in adults.',
      paperId: 'p1',
      quote: 'X improved y | z in adults.',
      verification: { verdict: 'supported', confidence: 0.8, evidence: [{ paperId: 'p2', quote: 'X helped y.', stance: 'supports' }] },
    },
  ],
  reviews: [{ reviewer: 'coverage', score: 7, rationale: 'Good.' }],
  qualityScore: 7,
  gaps: [],
  limitations: ['Only abstracts.'],
  references: [
    { id: 'p1', title: 'On X', authors: ['Ada Lovelace', 'Alan Turing'], year: 2020, venue: 'Nature', doi: '10.1/x' },
    { id: 'p2', title: 'More on X', authors: ['WHO Study Group'], url: 'https://example.org/p2' },
  ],
  timings: { totalMs: 12, stages: { plan: 1 } },
};

describe('renderers', () => {
  it('renders every section with the claim table, quotes and numbered references', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('| c1 | X improved y \\| z in adults. | supported | 0.80 | [1] |');
    expect(md).toContain('> X improved y \\| z in adults.');
    expect(md).toContain('- Supports [2]: "X helped y."');
    expect(md).toContain('1. Ada Lovelace, Alan Turing (2020). On X. *Nature*. https://doi.org/10.1/x');
    expect(md).toContain('2. WHO Study Group. More on X. https://example.org/p2');
    // Untrusted text cannot add HTML or structure; citations stay readable.
    expect(md).toContain('**Question:** Does \\<b\\>x\\</b\\> \\| y work?');
    expect(md).toContain('It leans towards yes [1, 2]. A \\*bold\\* claim [1].');
    expect(md).toContain('PRISMA flow: 2 records identified → 2 after de-duplication → 2 screened in → 2 included.');
  });

  it('leads the answer with the bottom line, keeps findings in a table, and shows claim-selection counts', () => {
    const md = renderMarkdown({
      ...report,
      answer: { verdict: 'yes', confidence: 'medium', basis: ['c1'], text: 'Yes: one paper finds it [1].' },
      findings: [{ paperId: 'p1', subject: 'X | 70B', measure: 'pass@1', value: '44.0%', condition: 'BigCodeBench' }],
      methodology: { ...report.methodology, claimSelection: { sentences: 9, notFindings: 4, offTopic: 3, otherPopulation: 1, claims: 1 } },
    });
    const lines = md.split('\n');
    const answerAt = lines.indexOf('## Answer');
    expect(lines.slice(answerAt + 1).find(Boolean)).toBe('**Bottom line: Yes (medium confidence).**');
    expect(md).toContain('## Findings');
    expect(md).toContain('| X \\| 70B | pass@1 | 44.0% | BigCodeBench | [1] |');
    expect(md.indexOf('## Findings')).toBeLessThan(md.indexOf('## Methodology'));
    expect(md).toContain('Claim selection: 9 complete sentences read; 4 background, aim or method sentences, 3 findings not about');
    // A report without an answer or findings (an older one) has neither line nor table.
    const plain = renderMarkdown(report);
    expect(plain).not.toContain('Bottom line');
    expect(plain).not.toContain('## Findings');
  });

  it('shortens long author lists', () => {
    expect(formatReference({ id: 'a', title: 'T', authors: ['A', 'B', 'C', 'D'] })).toBe('A, B, C et al. T.');
    expect(formatReference({ id: 'a', title: 'T?', authors: ['A', 'B', 'C', 'D'], year: 2001 })).toBe('A, B, C et al. (2001). T?');
  });

  it('emits JSON that round-trips and refuses a report that breaks the contract', () => {
    expect(JSON.parse(renderJson(report))).toEqual(report);
    expect(() => renderJson({ ...report, qualityScore: 11 })).toThrow();
  });

  it('renders BibTeX for every reference', async () => {
    const bib = await renderBibtex(report.references);
    expect(bib.match(/^@\w+\{/gm)).toHaveLength(2);
    expect(bib).toContain('author = {Lovelace, Ada and Turing, Alan}');
    expect(bib).toContain('doi = {10.1/x}');
    expect(bib).toContain('{WHO Study Group}');
    expect(await renderBibtex([])).toBe('');
  });
});
