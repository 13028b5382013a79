import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCorpusIndex } from '../../src/corpus-index/corpus-index.js';
import { indexPath } from '../../src/corpus-index/database.js';
import { describeIndexProgress, indexProgressBar } from '../../src/corpus-index/progress.js';
import { readQueries } from '../../src/eval/retrieval.js';
import { loadConfig } from '../../src/config.js';
import type { ProgressEvent } from '../../src/events.js';
import { silentLogger } from '../../src/logger.js';
import { createProgressTracker, renderProgressLines } from '../../src/progress.js';
import { createRuntime } from '../../src/runtime.js';
import type { Paper } from '../../src/model.js';
import { createLexicalRanker } from '../../src/rank/lexical-ranker.js';
import { createCorpusSource, readCorpusFile } from '../../src/sources/corpus.js';
import { lookupPaper } from '../../src/sources/lookup.js';
import type { Source } from '../../src/sources/source.js';
import { runCli } from '../helpers/cli.js';
import { ROOT, SCIFACT } from '../helpers/paths.js';

const ctx = { signal: new AbortController().signal, log: silentLogger };

/** SciFact's corpus lines (as JSON objects), read once. */
let lines: Record<string, unknown>[] = [];
let papers: Paper[] = [];

beforeAll(async () => {
  const { papers: all } = await readCorpusFile(SCIFACT.corpus);
  papers = all;
  lines = all.map((p) => ({ doc_id: p.ids.corpus, title: p.title, abstract: p.sentences }));
});

const jsonl = (rows: readonly Record<string, unknown>[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** Temp directories made by these tests, removed at the end (an index still open is unlinked, as on any POSIX system). */
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'synth-index-'));
  made.push(dir);
  return dir;
}

async function tempCorpus(count: number, name = 'team.jsonl'): Promise<{ dir: string; file: string }> {
  const dir = await tempDir();
  const file = join(dir, name);
  await writeFile(file, jsonl(lines.slice(0, count)));
  return { dir, file };
}

describe('persistent corpus index', () => {
  it('ranks exactly as the in-memory ranker over the same papers', async () => {
    const { dir, file } = await tempCorpus(800);
    const index = openCorpusIndex(join(dir, 'index'));
    const corpus = await index.ensure([file]);
    expect(corpus.files[0]!.papers).toBe(800);
    const ranker = createLexicalRanker(papers.slice(0, 800));
    const queries = [...(await readQueries(SCIFACT.queries)).values()].slice(0, 25);
    for (const q of queries) {
      const expected = ranker.search(q, 20).map((h) => ({ id: papers[h.index]!.ids.corpus, score: h.score }));
      const got = index.search(corpus.files, q, 20).map((h) => ({ id: h.paper.ids.corpus, score: h.score }));
      expect(got.map((g) => g.id)).toEqual(expected.map((e) => e.id));
      got.forEach((g, i) => expect(g.score).toBeCloseTo(expected[i]!.score, 4));
    }
    // Papers come back whole, abstract and sentences included.
    const [hit] = index.search(corpus.files, queries[0]!, 1);
    const original = papers.find((p) => p.ids.corpus === hit!.paper.ids.corpus)!;
    expect(hit!.paper).toEqual({ ...original, id: `team:${original.ids.corpus}` });
  });

  it('is reused by a later open while the file is unchanged, and a touch alone does not rebuild it', async () => {
    const { dir, file } = await tempCorpus(200);
    const first = await openCorpusIndex(join(dir, 'index')).ensure([file]);
    expect(first.buildMs).toBeGreaterThan(0);
    // A second process: open the file afresh.
    openCorpusIndex(join(dir, 'index')).close();
    const again = await openCorpusIndex(join(dir, 'index')).ensure([file]);
    expect(again.buildMs).toBe(0);
    expect(again.notes).toEqual([]);
    const later = new Date(Date.now() + 5_000);
    await utimes(file, later, later);
    const touched = await openCorpusIndex(join(dir, 'index')).ensure([file]);
    expect(touched.buildMs).toBe(0);
    const status = await openCorpusIndex(join(dir, 'index')).status([file]);
    expect(status.files[0]).toMatchObject({ state: 'current', papers: 200, segments: 1 });
  });

  it('rebuilds a changed file and says so; a same-size edit is caught by the content hash', async () => {
    const { dir, file } = await tempCorpus(100);
    const index = openCorpusIndex(join(dir, 'index'));
    await index.ensure([file]);
    const text = await readFile(file, 'utf8');
    const info = await stat(file);
    // Same size, content changed away from the file's ends, a new mtime: the content hash catches it.
    const edited = text.replace(/"title":"./, '"title":"X');
    expect(Buffer.byteLength(edited)).toBe(Buffer.byteLength(text));
    await writeFile(file, edited);
    const later = new Date(info.mtimeMs + 10_000);
    await utimes(file, later, later);
    const changed = await index.ensure([file]);
    expect(changed.buildMs).toBeGreaterThan(0);
    expect(changed.notes.join(' ')).toMatch(/changed since it was indexed; its index was rebuilt/);
    expect(index.lookup(changed.files, { kind: 'corpus', value: String(lines[0]!.doc_id) })!.title).toMatch(/^X/);
    expect((await index.status([file])).files[0]).toMatchObject({ state: 'current', papers: 100, segments: 1 });
  });

  it('adds appended lines as a new segment without rebuilding the file', async () => {
    const { dir, file } = await tempCorpus(150);
    const index = openCorpusIndex(join(dir, 'index'));
    const before = await index.ensure([file]);
    const oldSegment = before.files[0]!;
    await appendFile(file, jsonl(lines.slice(150, 180)));
    expect((await index.status([file])).files[0]!.state).toBe('appended');
    const after = await index.ensure([file]);
    expect(after.notes.join(' ')).toMatch(/appended to .* were added/);
    expect(after.files[0]).toMatchObject({ id: oldSegment.id, papers: 180 });
    expect((await index.status([file])).files[0]).toMatchObject({ state: 'current', papers: 180, segments: 2 });
    // The appended papers rank against the statistics of all 180, exactly as in memory.
    const ranker = createLexicalRanker(papers.slice(0, 180));
    const q = String(papers[170]!.title);
    expect(index.search(after.files, q, 5).map((h) => h.paper.ids.corpus)).toEqual(ranker.search(q, 5).map((h) => papers[h.index]!.ids.corpus));
  });

  it('extends a gzip file to which a gzip member was appended', async () => {
    const dir = await tempDir();
    const file = join(dir, 'team.jsonl.gz');
    await writeFile(file, gzipSync(jsonl(lines.slice(0, 50))));
    const index = openCorpusIndex(join(dir, 'index'));
    await index.ensure([file]);
    await appendFile(file, gzipSync(jsonl(lines.slice(50, 60))));
    const after = await index.ensure([file]);
    expect(after.files[0]!.papers).toBe(60);
    expect(after.notes.join(' ')).toMatch(/appended/);
  });

  it('indexes a new corpus file beside the others, and searches only the files asked for', async () => {
    const { dir, file } = await tempCorpus(100);
    const second = join(dir, 'more.jsonl');
    await writeFile(second, jsonl(lines.slice(100, 200)));
    const index = openCorpusIndex(join(dir, 'index'));
    const one = await index.ensure([file]);
    const both = await index.ensure([file, second]);
    expect(both.files.map((f) => f.papers)).toEqual([100, 100]);
    const q = String(papers[150]!.title);
    expect(index.search(both.files, q, 1)[0]!.paper.id).toBe('more:' + String(papers[150]!.ids.corpus));
    expect(index.search(one.files, q, 10).every((h) => h.paper.id.startsWith('team:'))).toBe(true);
  });

  it('replaces a damaged index file, says so, and answers correctly', async () => {
    const { dir, file } = await tempCorpus(120);
    const indexDir = join(dir, 'index');
    const first = await openCorpusIndex(indexDir).ensure([file]);
    const expected = openCorpusIndex(indexDir).search(first.files, 'tumour growth', 5).map((h) => h.paper.id);
    openCorpusIndex(indexDir).close();
    await writeFile(indexPath(indexDir), Buffer.alloc(64 * 1024, 0x5a));
    const source = createCorpusSource([file], { indexDir });
    const warnings: string[] = [];
    const found = await source.search(
      { question: 'q', text: 'tumour growth', terms: [], maxResults: 5 },
      { ...ctx, warn: (_code, message) => warnings.push(message) },
    );
    expect(warnings.join(' ')).toMatch(/corpus index .* was rebuilt: it was damaged/);
    expect(found.map((p) => p.id)).toEqual(expected);
  });

  it('detects a segment whose stored lengths fail their checksum, rebuilds, and still answers', async () => {
    const { dir, file } = await tempCorpus(120);
    const indexDir = join(dir, 'index');
    const source = createCorpusSource([file], { indexDir });
    const query = { question: 'q', text: 'tumour growth', terms: [], maxResults: 5 };
    const expected = (await source.search(query, ctx)).map((p) => p.id);
    openCorpusIndex(indexDir).close();
    const raw = new Database(indexPath(indexDir));
    raw.prepare("UPDATE segments SET lengths = zeroblob(length(lengths)), checksum = checksum WHERE 1").run();
    raw.close();
    const warnings: string[] = [];
    const found = await source.search(query, { ...ctx, warn: (_code, message) => warnings.push(message) });
    expect(warnings.join(' ')).toMatch(/was damaged \(segment \d+ fails its checksum\)/);
    expect(found.map((p) => p.id)).toEqual(expected);
  });

  it('rebuilds an index written in another format and says so', async () => {
    const { dir, file } = await tempCorpus(30);
    const indexDir = join(dir, 'index');
    await openCorpusIndex(indexDir).ensure([file]);
    openCorpusIndex(indexDir).close();
    const raw = new Database(indexPath(indexDir));
    raw.prepare("UPDATE meta SET value = 'corpus-index/0' WHERE key = 'format'").run();
    raw.close();
    const again = await openCorpusIndex(indexDir).ensure([file]);
    expect(again.notes.join(' ')).toMatch(/was rebuilt: it was built by another version \(corpus-index\/0\)/);
    expect(again.files[0]!.papers).toBe(30);
  });

  it('takes papers added from a chat thread into every later search', async () => {
    const { dir, file } = await tempCorpus(50);
    const index = openCorpusIndex(join(dir, 'index'));
    const corpus = await index.ensure([file]);
    const added: Paper = {
      id: 'doi:10.1000/zebrafish',
      title: 'Zebrafish fin regeneration requires osteoblast dedifferentiation',
      abstract: 'Zebrafish regenerate their fins after amputation; osteoblasts dedifferentiate to rebuild bone.',
      authors: [],
      ids: { doi: '10.1000/zebrafish' },
      sources: ['openalex'],
    };
    expect(await index.addPapers([added])).toBe(1);
    expect(await index.addPapers([added])).toBe(0);
    expect(index.search(corpus.files, 'zebrafish fin regeneration', 1)[0]!.paper.id).toBe(added.id);
    expect(index.lookup(corpus.files, { kind: 'doi', value: '10.1000/zebrafish' })?.id).toBe(added.id);
  });

  it("keeps a paper a thread's add found in a live source, for later corpus searches", async () => {
    const { dir, file } = await tempCorpus(50);
    const corpus = createCorpusSource([file], { indexDir: join(dir, 'index') });
    const live: Source = {
      name: 'openalex',
      lookupKinds: ['doi'],
      search: () => Promise.resolve([]),
      lookup: () =>
        Promise.resolve({
          id: 'doi:10.1000/axolotl',
          title: 'Axolotl limb regeneration and the blastema',
          abstract: 'Axolotls regrow whole limbs from a blastema of dedifferentiated cells.',
          authors: [],
          ids: { doi: '10.1000/axolotl' },
          sources: ['openalex'],
        }),
    };
    const found = await lookupPaper('10.1000/axolotl', [corpus, live]);
    expect(found.status).toBe('found');
    const later = await corpus.search({ question: 'q', text: 'axolotl limb regeneration', terms: [], maxResults: 3 }, ctx);
    expect(later[0]!.id).toBe('doi:10.1000/axolotl');
  });

  it('lets two processes build at once: one builds, the other waits and reads the result', async () => {
    const { dir, file } = await tempCorpus(3000);
    const indexDir = join(dir, 'index');
    const child = join(ROOT, 'test/helpers/index-build-child.ts');
    const run = () =>
      new Promise<{ built: boolean; waited: boolean; papers: number; top: string[] }>((done, fail) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, indexDir, file], { cwd: ROOT });
        let out = '';
        let err = '';
        proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
        proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
        proc.on('close', (code) => (code === 0 ? done(JSON.parse(out) as never) : fail(new Error(`child exited ${code}: ${err}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.papers).toBe(3000);
    expect(b.papers).toBe(3000);
    expect(a.top).toEqual(b.top);
    // Exactly one of them wrote the index; the file holds one segment, not two copies.
    expect([a.built, b.built].filter(Boolean)).toHaveLength(1);
    expect((await openCorpusIndex(indexDir).status([file])).files[0]).toMatchObject({ state: 'current', segments: 1, papers: 3000 });
  }, 120_000);

  it("makes the index current on load(), as the bot does before it listens, keeping the papers on disk", async () => {
    const { dir, file } = await tempCorpus(40);
    const source = createCorpusSource([file], { indexDir: join(dir, 'index') });
    const loaded = await source.load();
    expect(loaded.papers).toEqual([]);
    expect('paperCount' in loaded && loaded.paperCount).toBe(40);
    expect((await openCorpusIndex(join(dir, 'index')).status([file])).files[0]!.state).toBe('current');
  });

  it('reports malformed lines and duplicates as the in-memory source does', async () => {
    const dir = await tempDir();
    const file = join(dir, 'mixed.jsonl');
    await writeFile(file, `${jsonl(lines.slice(0, 5))}not json\n${jsonl(lines.slice(0, 1))}`);
    const source = createCorpusSource([file], { indexDir: join(dir, 'index') });
    const warnings: string[] = [];
    await source.search({ question: 'q', text: 'cells', terms: [], maxResults: 5 }, { ...ctx, warn: (code) => warnings.push(code) });
    expect(warnings).toEqual(['corpus_malformed', 'corpus_duplicate']);
  });
});

describe('a run over a corpus not yet indexed', () => {
  it("builds the index and says so in the run's progress, as a chat thread shows it", async () => {
    const { dir, file } = await tempCorpus(2500);
    const config = loadConfig({ STORE_URL: 'memory://', SYNTH_INDEX_DIR: join(dir, 'index'), SYNTH_CORPUS: file, SYNTH_SOURCES: 'none' });
    const runtime = createRuntime(config, silentLogger, { offline: true });
    const events: ProgressEvent[] = [];
    const tracker = createProgressTracker();
    const lines: string[] = [];
    await runtime.synthesize(
      { question: 'Does tumour angiogenesis depend on VEGF?' },
      {
        onEvent: (e) => {
          events.push(e);
          tracker.apply(e);
          lines.push(...renderProgressLines(tracker.snapshot()));
        },
      },
    );
    const progress = events.filter((e) => e.type === 'stage-progress' && e.stage === 'search');
    expect(progress.length).toBeGreaterThan(0);
    expect(lines.some((l) => /^… Searching: corpus …; Building the corpus index for team.jsonl: [\d,]+ of 2,500 abstracts/.test(l))).toBe(true);
  });
});

describe('index progress lines', () => {
  it('says how far, how fast and how long is left', () => {
    const p = { phase: 'building' as const, file: '/data/team.jsonl', done: 12_000, total: 50_000, startedAt: 0 };
    expect(describeIndexProgress(p, 3_000)).toBe('Building the corpus index for team.jsonl: 12,000 of 50,000 abstracts, 4,000 a second, about 10 s left');
    expect(indexProgressBar(p, 10, 3_000)).toBe('team.jsonl [##--------] 24% 12,000/50,000 4,000/s ETA 10 s');
    expect(describeIndexProgress({ ...p, phase: 'waiting', done: 0, total: 0 }, 2_000)).toMatch(/^Waiting for another process/);
  });
});

describe('synthesize index', () => {
  it('builds, reports status and drops, and a run then uses the index', async () => {
    const { dir, file } = await tempCorpus(100);
    const env = { SYNTH_INDEX_DIR: join(dir, 'index') };
    const built = await runCli(['index', 'build', '--corpus', file], env);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/100 papers from 1 file\(s\), indexed in/);
    expect(built.stderr).toMatch(/Building the corpus index for team.jsonl: 100 of 100 abstracts/);
    const again = await runCli(['index', 'build', '--corpus', file], env);
    expect(again.stdout).toMatch(/already current/);
    const status = await runCli(['index', 'status', '--check', '--corpus', file], env);
    expect(status.stdout).toMatch(/integrity ok/);
    expect(status.stdout).toMatch(/team.jsonl: current \(100 papers in 1 segment\(s\)\)/);
    const run = await runCli(['--offline', '--corpus', file, '--format', 'json', 'Does tumour growth depend on angiogenesis?'], env);
    expect(run.code).toBe(0);
    const dropped = await runCli(['index', 'drop', '--corpus', file], env);
    expect(dropped.stdout).toMatch(/Dropped 1 of 1 file/);
    expect((await runCli(['index', 'status', '--corpus', file], env)).stdout).toMatch(/not indexed/);
    expect((await runCli(['index', 'drop'], env)).stdout).toMatch(/^Deleted .*corpus-index.sqlite/);
  });

  it('draws a bar with rate and ETA on a terminal', async () => {
    const { dir, file } = await tempCorpus(2500);
    const tty = await runCli(['index', 'build', '--corpus', file], { SYNTH_INDEX_DIR: join(dir, 'index') }, { isTTY: true });
    expect(tty.stderr).toMatch(/team.jsonl \[#+-*\] \d+% [\d,]+\/2,500/);
  });
});
