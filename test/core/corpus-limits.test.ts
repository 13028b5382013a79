/**
 * Issue 12, corpus limits: papers sharing an id collided silently; a gzip bomb took gigabytes and then
 * failed as "not valid gzip data"; one huge abstract took half a minute and became a huge claim; a
 * file with no readable line made an empty report and exit 0; one missing file among several failed
 * the whole run. Each is now bounded, or reported with its file (and line), and the run goes on where
 * it can.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { ReportSchema } from '../../src/model.js';
import { createCorpusSource, loadCorpus, MAX_ABSTRACT_CHARS, MAX_CORPUS_BYTES, MAX_TITLE_CHARS, readCorpusFile } from '../../src/sources/corpus.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/paths.js';

const EXERCISE = join(FIXTURES, 'corpus/exercise.jsonl');
const Q = 'Does exercise reduce depressive symptoms in adults?';
const ctx = { signal: new AbortController().signal, log: silentLogger };
const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Searches a corpus source and returns the warnings it gave. */
async function warningsOf(paths: string[]): Promise<{ warnings: string[]; found: number }> {
  const warnings: string[] = [];
  const papers = await createCorpusSource(paths).search({ question: Q, text: 'exercise depressive symptoms', terms: [], maxResults: 20 }, { ...ctx, warn: (_c, m) => warnings.push(m) });
  return { warnings, found: papers.length };
}

describe('duplicate ids', () => {
  it('keeps the first paper of an id and says where the repeat is, within a file', async () => {
    const file = join(dir, 'dups.jsonl');
    await writeFile(
      file,
      [
        line({ id: 'a', title: 'Exercise and depression: first', abstract: 'Exercise reduced depressive symptoms in adults with depression.' }),
        line({ id: 'b', title: 'Exercise and depression: second', abstract: 'Walking reduced depressive symptoms in adults.' }),
        line({ id: 'a', title: 'Another paper with the same id', abstract: 'Yoga reduced depressive symptoms in adults.' }),
      ].join('\n'),
    );
    const { papers } = await readCorpusFile(file);
    expect(papers.map((p) => p.title)).toEqual(['Exercise and depression: first', 'Exercise and depression: second']);
    const { warnings } = await warningsOf([file]);
    expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`1 corpus record\\(s\\) skipped for repeating an id: ${file}:3: id "a" \\(first at ${file}:1\\)`)));
  });

  it('keeps the first across files whose papers get the same ids, and the report stays consistent', async () => {
    const one = join(dir, 'one', 'papers.jsonl');
    const two = join(dir, 'two', 'papers.jsonl');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'one'), { recursive: true });
    await mkdir(join(dir, 'two'), { recursive: true });
    await writeFile(one, [line({ id: 'x1', title: 'Aerobic exercise and depressive symptoms', abstract: 'RESULTS: Aerobic exercise reduced depressive symptoms in adults (n = 200).' })].join('\n'));
    await writeFile(
      two,
      [
        line({ id: 'x1', title: 'Resistance training and depressive symptoms', abstract: 'RESULTS: Resistance training reduced depressive symptoms in adults (n = 120).' }),
        line({ id: 'x2', title: 'Exercise for depression in adults', abstract: 'RESULTS: Exercise reduced depressive symptoms in adults with depression (n = 90).' }),
      ].join('\n'),
    );
    const cli = await runCli(['--offline', '--corpus', one, '--corpus', two, '--format', 'json', Q]);
    expect(cli.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(cli.stdout));
    expect(report.limitations.join('\n')).toContain(`${two}:1: id "x1" (first at ${one}:1)`);
    expect(report.references.length).toBe(report.methodology.included);
    expect(report.limitations.join('\n')).not.toMatch(/quote not found/);
  });
});

describe('size limits', () => {
  it('refuses a gzip bomb with a clear message instead of decompressing it all', async () => {
    const bomb = join(dir, 'bomb.jsonl.gz');
    await writeFile(bomb, gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)));
    const error = await readCorpusFile(bomb, { maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).code).toBe('corpus_unreadable');
    expect((error as Error).message).toBe(`Cannot read corpus ${bomb}: it decompresses to more than 1 MB, the limit for one corpus file; split it into smaller files.`);
    expect(MAX_CORPUS_BYTES).toBe(500 * 1024 * 1024);
  });

  it('refuses a plain file over the limit the same way', async () => {
    const big = join(dir, 'big.jsonl');
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 0x20));
    await expect(readCorpusFile(big, { maxBytes: 1024 * 1024 })).rejects.toThrow(`Cannot read corpus ${big}: it is larger than 1 MB`);
  });

  it('cuts an overlong abstract and title to the limit, at a sentence end, and says so with file and line', async () => {
    const file = join(dir, 'long.jsonl');
    const sentence = 'Exercise reduced depressive symptoms in adults with depression. ';
    const abstract = sentence.repeat(Math.ceil((5 * MAX_ABSTRACT_CHARS) / sentence.length));
    await writeFile(file, [line({ id: 'ok', title: 'Short', abstract: 'Fine.' }), line({ id: 'long', title: 'T'.repeat(MAX_TITLE_CHARS + 50), abstract })].join('\n'));
    const t0 = performance.now();
    const { papers } = await readCorpusFile(file);
    const long = papers.find((p) => p.ids.corpus === 'long')!;
    expect(long.abstract.length).toBeLessThanOrEqual(MAX_ABSTRACT_CHARS);
    expect(long.abstract.length).toBeGreaterThan(MAX_ABSTRACT_CHARS - 200);
    expect(long.abstract.endsWith('depression.')).toBe(true);
    expect(long.title.length).toBeLessThanOrEqual(MAX_TITLE_CHARS);
    const { warnings } = await warningsOf([file]);
    expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`${file}:2: abstract of ${abstract.length.toLocaleString('en-US')} characters cut to ${long.abstract.length.toLocaleString('en-US')}`)));
    expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`${file}:2: title of ${(MAX_TITLE_CHARS + 50).toLocaleString('en-US')} characters cut`)));
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('cuts an overlong abstract given as sentences too', async () => {
    const file = join(dir, 'long-sentences.jsonl');
    const sentences = Array.from({ length: 5000 }, (_, i) => `Sentence ${i} says exercise reduced depressive symptoms in adults.`);
    await writeFile(file, line({ doc_id: 7, title: 'Many sentences', abstract: sentences }));
    const { papers } = await readCorpusFile(file);
    expect(papers[0]!.abstract.length).toBeLessThanOrEqual(MAX_ABSTRACT_CHARS);
    expect(papers[0]!.sentences!.join(' ')).toBe(papers[0]!.abstract);
  });
});

describe('unreadable and missing corpus files', () => {
  it.each([
    ['a README', '# My corpus\n\nThese are my papers.\n'],
    ['a binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 10, 255, 254, 10])],
    ['only malformed lines', '{"title": "no id"}\n{not json\n'],
  ])('fails on %s, naming the file, and the CLI exits 1', async (_name, content) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.md`);
    await writeFile(file, content);
    const error = await readCorpusFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).code).toBe('corpus_unreadable');
    expect((error as Error).message).toMatch(new RegExp(`^Cannot read corpus ${file}: none of its \\d+ line\\(s\\) is a paper record \\(line 1: `));
    const cli = await runCli(['--offline', '--corpus', file, Q]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.trim().split('\n').at(-1)).toContain(`Cannot read corpus ${file}: none of its`);
  });

  it('still accepts an empty file (nothing to read is not a misread)', async () => {
    const { papers, problems } = await readCorpusFile(join(FIXTURES, 'corpus/empty.jsonl'));
    expect(papers).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('goes on with the readable files when one is missing, and says which', async () => {
    const missing = join(dir, 'missing.jsonl');
    const corpus = await loadCorpus([EXERCISE, missing]);
    expect(corpus.papers.length).toBe(6);
    expect(corpus.failed).toEqual([{ file: missing, message: `Cannot read corpus ${missing}: no such file.` }]);
    const { warnings, found } = await warningsOf([EXERCISE, missing]);
    expect(found).toBeGreaterThan(0);
    expect(warnings).toContainEqual(`1 of 2 corpus files could not be read and was not searched: Cannot read corpus ${missing}: no such file.`);
    const cli = await runCli(['--offline', '--corpus', EXERCISE, '--corpus', missing, '--format', 'json', Q]);
    expect(cli.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(cli.stdout));
    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.limitations).toContainEqual(expect.stringContaining(`Cannot read corpus ${missing}: no such file.`));
    expect(cli.stderr).toContain(`warning: 1 of 2 corpus files could not be read`);
  });

  it('fails naming every file when none can be read', async () => {
    const a = join(dir, 'nope-a.jsonl');
    const b = join(dir, 'nope-b.jsonl');
    await expect(loadCorpus([a, b])).rejects.toThrow(`Cannot read corpus ${a}: no such file.; Cannot read corpus ${b}: no such file.`);
  });
});
