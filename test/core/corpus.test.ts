import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createCorpusSource, loadCorpus, readCorpusFile } from '../../src/sources/corpus.js';
import { FIXTURES, SCIFACT } from '../helpers/paths.js';

const ctx = { signal: new AbortController().signal, log: silentLogger };

describe('corpus files', () => {
  it('reads our format, plain and gzipped, with DOI normalised into ids', async () => {
    const plain = await readCorpusFile(join(FIXTURES, 'corpus/exercise.jsonl'));
    const gz = await readCorpusFile(join(FIXTURES, 'corpus/exercise.jsonl.gz'));
    expect(plain.papers).toHaveLength(6);
    expect(gz.papers).toEqual(plain.papers);
    const ex2 = plain.papers.find((p) => p.ids.corpus === 'ex2')!;
    expect(ex2.id).toBe('exercise:ex2');
    expect(ex2.sentences).toHaveLength(4);
    expect(ex2.ids.doi).toBe('10.1000/ex2');
    expect(ex2.doi).toBe('10.1000/ex2');
    expect(ex2.url).toBe('https://doi.org/10.1000/ex2');
    expect(ex2.year).toBe(2021);
  });

  it("reads BEIR's format (_id, text)", async () => {
    const { papers, problems } = await readCorpusFile(join(FIXTURES, 'corpus/beir-format.jsonl'));
    expect(problems).toEqual([]);
    expect(papers.map((p) => p.ids.corpus)).toEqual(['b1', 'b2']);
    expect(papers[0]!.abstract).toMatch(/^Twenty-four hours/);
  });

  it("reads SciFact's corpus (doc_id, abstract as sentences)", async () => {
    const { papers, problems } = await readCorpusFile(SCIFACT.corpus);
    expect(problems).toEqual([]);
    expect(papers).toHaveLength(5183);
    expect(papers.every((p) => p.sentences && p.sentences.length > 0)).toBe(true);
  });

  it('reports each malformed line with file and line number and keeps the rest', async () => {
    const file = join(FIXTURES, 'corpus/malformed.jsonl');
    const { papers, problems } = await readCorpusFile(file);
    expect(papers.map((p) => p.ids.corpus)).toEqual(['m1', 'm4']);
    expect(problems).toEqual([
      { file, line: 2, message: expect.stringMatching(/invalid JSON/) },
      { file, line: 3, message: expect.stringMatching(/"id", "_id" or "doc_id"/) },
    ]);
  });

  it('surfaces malformed lines as a warning of the run', async () => {
    const warnings: string[] = [];
    const source = createCorpusSource([join(FIXTURES, 'corpus/malformed.jsonl')]);
    await source.search({ question: 'malaria', text: 'malaria', terms: ['malaria'], maxResults: 5 }, { ...ctx, warn: (_c, m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/2 malformed corpus line\(s\) skipped: .*malformed\.jsonl:2: invalid JSON/);
  });

  it('names a missing or unreadable corpus file', async () => {
    await expect(loadCorpus(['/nonexistent/papers.jsonl'])).rejects.toThrow(/Cannot read corpus \/nonexistent\/papers\.jsonl: no such file/);
    const dir = await mkdtemp(join(tmpdir(), 'corpus-'));
    const bad = join(dir, 'bad.jsonl.gz');
    await writeFile(bad, Buffer.from([0x1f, 0x8b, 0, 1, 2, 3]));
    const error = await loadCorpus([bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).code).toBe('corpus_unreadable');
  });

  it('indexes a corpus once per process', async () => {
    const files = [join(FIXTURES, 'corpus/exercise.jsonl')];
    const first = await loadCorpus(files);
    const second = await loadCorpus(files);
    expect(second).toBe(first);
  });

  it('returns the relevant papers first and honours the year range', async () => {
    const source = createCorpusSource([join(FIXTURES, 'corpus/exercise.jsonl')]);
    const all = await source.search({ question: 'q', text: 'exercise depression', terms: [], maxResults: 10 }, ctx);
    expect(all.map((p) => p.ids.corpus)).not.toContain('off1');
    expect(all[0]!.sources).toEqual(['corpus']);
    const recent = await source.search({ question: 'q', text: 'exercise depression', terms: [], maxResults: 10, yearFrom: 2019 }, ctx);
    expect(recent.every((p) => (p.year ?? 0) >= 2019)).toBe(true);
    expect(recent.length).toBeLessThan(all.length);
  });
});
