/**
 * The local corpus source: JSONL or JSONL.gz files, one paper per line, in our format, SciFact's
 * (`doc_id`, `abstract` as a sentence array) or BEIR's (`_id`, `text`). Each file is read and indexed
 * once per process (keyed by path, size and mtime) and searched with the core's lexical ranker.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { SynthError, ValidationError } from '../errors.js';
import type { Paper } from '../model.js';
import { normalizeArxivId, normalizeDoi, normalizeTitle } from '../pipeline/merge.js';
import { openCorpusIndex, type CorpusIndex, type EnsuredCorpus, type IndexProgress } from '../corpus-index/corpus-index.js';
import { isCorruption } from '../corpus-index/database.js';
import { describeIndexProgress } from '../corpus-index/progress.js';
import { createLexicalRanker, type LexicalRanker } from '../rank/lexical-ranker.js';
import { silentLogger } from '../logger.js';
import { normalizeWhitespace, stripControl } from '../text/sanitize.js';
import type { PaperId, PaperIdKind } from './paper-id.js';
import type { SearchQuery, Source, SourceContext } from './source.js';

const idValue = z.union([z.string().min(1), z.number().int()]).transform(String);
const stringish = z.union([z.string(), z.number()]).transform(String);

const AuthorSchema = z.union([
  z.string(),
  z.object({ name: z.string() }).transform((a) => a.name),
  z.object({ first: z.string().optional(), last: z.string() }).transform((a) => [a.first, a.last].filter(Boolean).join(' ')),
]);

/** One corpus line. Unknown fields (BEIR `metadata`, SciFact `structured`) are ignored. */
export const CorpusLineSchema = z
  .object({
    id: idValue.optional(),
    _id: idValue.optional(),
    doc_id: idValue.optional(),
    title: z.string().optional(),
    abstract: z.union([z.string(), z.array(z.string())]).optional(),
    text: z.string().optional(),
    authors: z.union([z.array(AuthorSchema), z.string().transform((s) => s.split(/\s*;\s*|\s+and\s+/))]).optional(),
    year: z.union([z.number().int(), z.string().regex(/^\d{4}$/).transform(Number)]).optional(),
    venue: stringish.optional(),
    doi: z.string().optional(),
    url: z.string().optional(),
  })
  .refine((line) => line.id ?? line._id ?? line.doc_id, { message: 'needs an "id", "_id" or "doc_id"' })
  .refine((line) => (line.title ?? '').trim() || line.abstract !== undefined || line.text, {
    message: 'needs a "title" and an "abstract" (or "text")',
  });

/** A corpus line that was skipped or changed, reported with its file and line number. */
export interface CorpusProblem {
  file: string;
  line: number;
  message: string;
}

/** A corpus file that could not be read at all (missing, not a file, not JSONL, too large). */
export interface CorpusFailure {
  file: string;
  message: string;
}

/**
 * Largest size of one corpus file once decompressed: 500 MiB. A gzip bomb (a small .gz expanding to
 * gigabytes) stops there with a clear message instead of exhausting memory, and the text still fits
 * in one JavaScript string (V8's limit is just under 512 MiB). SciFact's corpus is 8 MB.
 */
export const MAX_CORPUS_BYTES = 500 * 1024 * 1024;
/** Longest title kept (characters); a longer one is cut at a word and the run says so. */
export const MAX_TITLE_CHARS = 1_000;
/**
 * Longest abstract kept (characters): a real abstract is under 5,000. A longer text (a full paper, a
 * dump) is cut at a sentence end and the run says so, rather than costing seconds and gigabytes to
 * index and becoming a claim as long as itself.
 */
export const MAX_ABSTRACT_CHARS = 100_000;

/** A corpus file read into papers, with what was skipped or cut on the way. */
export interface CorpusFile {
  papers: Paper[];
  /** Malformed lines, skipped. */
  problems: CorpusProblem[];
  /** Records whose id repeats an earlier one in the file, skipped (the first is kept). */
  duplicates: CorpusProblem[];
  /** Titles and abstracts cut to {@link MAX_TITLE_CHARS} / {@link MAX_ABSTRACT_CHARS}. */
  truncated: CorpusProblem[];
}

/** A loaded corpus: its papers and a ranker built over them. */
export interface LoadedCorpus {
  papers: Paper[];
  problems: CorpusProblem[];
  duplicates: CorpusProblem[];
  truncated: CorpusProblem[];
  /** Files that could not be read; the others were loaded. */
  failed: CorpusFailure[];
  ranker: LexicalRanker;
  /** Milliseconds spent reading, parsing and indexing. */
  loadMs: number;
}

/** Options of {@link readCorpusFile}. */
export interface ReadCorpusOptions {
  /** Largest size of the file once decompressed (default {@link MAX_CORPUS_BYTES}). */
  maxBytes?: number;
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1048576).toLocaleString('en-US')} MB`;
const unreadable = (path: string, reason: string, cause?: unknown) => new SynthError('corpus_unreadable', `Cannot read corpus ${path}: ${reason}`, { cause });

/** The file's text, within the size limit, gunzipped when it is gzip (by magic number). */
async function readText(path: string, maxBytes: number): Promise<string> {
  let buffer: Buffer;
  try {
    const info = await stat(path);
    if (info.isFile() && info.size > maxBytes) {
      throw unreadable(path, `it is larger than ${megabytes(maxBytes)}, the limit for one corpus file; split it into smaller files.`);
    }
    buffer = await readFile(path);
  } catch (error) {
    if (error instanceof SynthError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw unreadable(path, `${reason}.`, error);
  }
  return decodeCorpusBuffer(path, buffer, maxBytes);
}

/** A file's papers with the line each came from (for duplicates across files). */
export interface ParsedFile extends CorpusFile {
  lines: number[];
}

/** The corpus name a file's papers are prefixed with: its base name without the JSONL extensions. */
export function corpusName(path: string): string {
  return basename(path).replace(/\.(jsonl|json|ndjson)(\.gz)?$/i, '').replace(/\.gz$/i, '') || 'corpus';
}

/** Decodes a corpus file's bytes: gunzipped when gzip (by magic number), within the size limit. */
export function decodeCorpusBuffer(path: string, buffer: Buffer, maxBytes: number = MAX_CORPUS_BYTES): string {
  if (buffer[0] !== 0x1f || buffer[1] !== 0x8b) {
    if (buffer.length > maxBytes) {
      throw unreadable(path, `it is larger than ${megabytes(maxBytes)}, the limit for one corpus file; split it into smaller files.`);
    }
    return buffer.toString('utf8');
  }
  try {
    // Gzip by magic number, so a .gz without the extension (or the reverse) still loads.
    return gunzipSync(buffer, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw unreadable(path, `it decompresses to more than ${megabytes(maxBytes)}, the limit for one corpus file; split it into smaller files.`, error);
    }
    throw unreadable(path, 'not valid gzip data.', error);
  }
}

async function parseCorpusFile(path: string, options: ReadCorpusOptions = {}): Promise<ParsedFile> {
  const text = await readText(path, options.maxBytes ?? MAX_CORPUS_BYTES);
  return parseCorpusText(text, path);
}

/**
 * Parses corpus text (the whole file, or lines appended to it: `firstLine` numbers the first line) into
 * papers, problems, duplicates within the text and cuts. Throws `corpus_unreadable` when the text has
 * lines but not one paper record.
 */
export function parseCorpusText(text: string, path: string, firstLine = 1): ParsedFile {
  const name = corpusName(path);
  const out: ParsedFile = { papers: [], problems: [], duplicates: [], truncated: [], lines: [] };
  const firstAt = new Map<string, number>();
  const lines = text.split('\n');
  let records = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    records++;
    const at = i + firstLine;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      out.problems.push({ file: path, line: at, message: `invalid JSON (${(error as Error).message.slice(0, 200)})` });
      continue;
    }
    const parsed = CorpusLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `field "${issue.path.join('.')}": ` : '';
      out.problems.push({ file: path, line: at, message: `${where}${issue?.message ?? 'invalid line'}` });
      continue;
    }
    const { paper, cuts } = toPaper(parsed.data, name);
    const first = firstAt.get(paper.id);
    if (first !== undefined) {
      out.duplicates.push({ file: path, line: at, message: `id "${paper.ids.corpus}" (first at ${path}:${first})` });
      continue;
    }
    firstAt.set(paper.id, at);
    for (const cut of cuts) out.truncated.push({ file: path, line: at, message: cut });
    out.papers.push(paper);
    out.lines.push(at);
  }
  // Lines, but not one paper among them: not a corpus (a README, a binary file, another format).
  if (out.papers.length === 0 && out.problems.length > 0) {
    const first = out.problems[0]!;
    throw unreadable(
      path,
      `none of its ${records.toLocaleString('en-US')} line(s) is a paper record (line ${first.line}: ${first.message}). A corpus file is JSONL: one JSON object per line with "id", "title" and "abstract".`,
    );
  }
  return out;
}

/**
 * Reads one corpus file into papers; malformed lines are returned as problems, never dropped silently,
 * a repeated id keeps its first record, overlong titles and abstracts are cut (each reported with its
 * line). Throws `corpus_unreadable` for a missing file, one over the size limit (also once
 * decompressed), or one with lines but no paper record.
 */
export async function readCorpusFile(path: string, options: ReadCorpusOptions = {}): Promise<CorpusFile> {
  const { lines: _lines, ...file } = await parseCorpusFile(path, options);
  return file;
}

/** `text` cut to at most `max` characters: at the last sentence end, else the last space, in the second half. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max + 1);
  const sentenceEnd = Math.max(head.lastIndexOf('. '), head.lastIndexOf('? '), head.lastIndexOf('! '));
  if (sentenceEnd > max / 2) return text.slice(0, sentenceEnd + 1);
  const space = head.lastIndexOf(' ');
  return (space > max / 2 ? text.slice(0, space) : text.slice(0, max)).trimEnd();
}

/** Cleans a title or abstract, cutting it to `max`; notes the cut as "<what> of N characters cut to M". */
function cleanAndCut(raw: string, max: number, what: string, cuts: string[]): string {
  // Cleaning a text many times the limit is wasted work: only a generous head of it can be kept.
  const clean = normalizeWhitespace(stripControl(raw.length > 4 * max ? raw.slice(0, 4 * max) : raw));
  if (clean.length <= max) return clean;
  const cut = cutText(clean, max);
  cuts.push(`${what} of ${raw.length.toLocaleString('en-US')} characters cut to ${cut.length.toLocaleString('en-US')}`);
  return cut;
}

/** An abstract given as sentences: whole sentences while they fit in `max` (the first cut if it alone does not). */
function cutSentences(raw: string[], max: number, cuts: string[]): string[] {
  const kept: string[] = [];
  let length = -1;
  const total = raw.reduce((n, s) => n + s.length + 1, -1);
  for (const sentence of raw) {
    const clean = normalizeWhitespace(stripControl(sentence.length > 4 * max ? sentence.slice(0, 4 * max) : sentence));
    if (!clean) continue;
    if (length + 1 + clean.length > max) {
      if (kept.length === 0) kept.push(cutText(clean, max));
      cuts.push(`abstract of ${total.toLocaleString('en-US')} characters cut to ${kept.join(' ').length.toLocaleString('en-US')}`);
      break;
    }
    kept.push(clean);
    length += 1 + clean.length;
  }
  return kept;
}

function toPaper(line: z.infer<typeof CorpusLineSchema>, corpusName: string): { paper: Paper; cuts: string[] } {
  const rawId = (line.id ?? line._id ?? line.doc_id)!;
  const cuts: string[] = [];
  const title = cleanAndCut(line.title ?? '', MAX_TITLE_CHARS, 'title', cuts);
  const sentences = Array.isArray(line.abstract) ? cutSentences(line.abstract, MAX_ABSTRACT_CHARS, cuts) : undefined;
  const abstract = sentences
    ? sentences.join(' ')
    : cleanAndCut(typeof line.abstract === 'string' ? line.abstract : (line.text ?? ''), MAX_ABSTRACT_CHARS, 'abstract', cuts);
  const doi = normalizeDoi(line.doi);
  const paper: Paper = {
    id: `${corpusName}:${rawId}`,
    title,
    abstract,
    ...(sentences ? { sentences } : {}),
    authors: (line.authors ?? []).map((a) => normalizeWhitespace(a)).filter(Boolean),
    ...(line.year !== undefined ? { year: line.year } : {}),
    ...(line.venue ? { venue: line.venue } : {}),
    ...(doi ? { doi } : {}),
    ...(line.url ? { url: line.url } : doi ? { url: `https://doi.org/${doi}` } : {}),
    ids: { corpus: rawId, ...(doi ? { doi } : {}) },
    sources: ['corpus'],
  };
  return { paper, cuts };
}

const loaded = new Map<string, Promise<LoadedCorpus>>();

/** The cache key of one file (path, size, mtime), or why it cannot be read. */
async function fileKey(path: string): Promise<{ key: string } | { failure: CorpusFailure }> {
  const full = resolve(path);
  try {
    const s = await stat(full);
    if (!s.isFile()) throw new Error('not a file');
    return { key: `${full}|${s.size}|${s.mtimeMs}` };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { failure: { file: path, message: `Cannot read corpus ${path}: ${reason}.` } };
  }
}

/**
 * Loads and indexes corpus files, once per process for the same files (same path, size and mtime).
 * A file that cannot be read is listed in `failed` and the others are used; only when no file can be
 * read does it throw `corpus_unreadable`, naming each. A paper whose id an earlier file already gave
 * is skipped and listed in `duplicates`.
 */
export async function loadCorpus(paths: readonly string[]): Promise<LoadedCorpus> {
  // The same file given twice is read once.
  const unique = [...new Map(paths.map((p) => [resolve(p), p])).values()];
  const keys = await Promise.all(unique.map(fileKey));
  const key = keys.map((k, i) => ('key' in k ? k.key : `${resolve(unique[i]!)}|unreadable`)).join('\n');
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => {
      const started = performance.now();
      const failed: CorpusFailure[] = [];
      const files = await Promise.all(
        unique.map(async (path, i) => {
          const k = keys[i]!;
          if ('failure' in k) {
            failed.push(k.failure);
            return undefined;
          }
          try {
            return { path, ...(await parseCorpusFile(path)) };
          } catch (error) {
            failed.push({ file: path, message: error instanceof SynthError ? error.message : `Cannot read corpus ${path}: ${(error as Error).message}` });
            return undefined;
          }
        }),
      );
      const read = files.filter((f): f is NonNullable<typeof f> => f !== undefined);
      if (read.length === 0) {
        throw new SynthError('corpus_unreadable', unique.map((p) => failed.find((f) => f.file === p)?.message).join('; '));
      }
      const papers: Paper[] = [];
      const duplicates = read.flatMap((f) => f.duplicates);
      const firstAt = new Map<string, string>();
      for (const file of read) {
        file.papers.forEach((paper, i) => {
          const where = `${file.path}:${file.lines[i]}`;
          const first = firstAt.get(paper.id);
          if (first !== undefined) {
            duplicates.push({ file: file.path, line: file.lines[i]!, message: `id "${paper.ids.corpus}" (first at ${first})` });
            return;
          }
          firstAt.set(paper.id, where);
          papers.push(paper);
        });
      }
      const ranker = createLexicalRanker(papers);
      return {
        papers,
        problems: read.flatMap((f) => f.problems),
        duplicates,
        truncated: read.flatMap((f) => f.truncated),
        failed: unique.flatMap((p) => failed.filter((f) => f.file === p)),
        ranker,
        loadMs: performance.now() - started,
      };
    })();
    loaded.set(key, pending);
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}

/** "file:line: message" for the first few, and whether there are more. */
function listed(items: readonly CorpusProblem[], total = items.length): string {
  const first = items.slice(0, 3).map((p) => `${p.file}:${p.line}: ${p.message}`);
  return `${first.join('; ')}${total > 3 ? '; ...' : ''}`;
}

/** Identifiers a corpus paper can be found by (see {@link findCorpusPaper}). */
export const CORPUS_LOOKUP_KINDS: readonly PaperIdKind[] = ['corpus', 'pmid', 'doi', 'arxiv', 'title'];

/**
 * The corpus paper an identifier names, if any: a paper id as reports cite it (`corpus:4983`; with
 * another corpus name, the id after the colon), a bare number as the paper's id in its corpus
 * (SciFact's ids are numbers, so `add 4983` finds document 4983 before PubMed is asked), a DOI, an arXiv
 * id (as the corpus id or through arXiv's DOI), or the exact title (case, accents and punctuation aside).
 */
export function findCorpusPaper(papers: readonly Paper[], id: PaperId): Paper | undefined {
  switch (id.kind) {
    case 'corpus': {
      const raw = id.value.slice(id.value.indexOf(':') + 1);
      return papers.find((p) => p.id === id.value) ?? papers.find((p) => p.ids.corpus === raw);
    }
    case 'pmid':
      return papers.find((p) => p.ids.corpus === id.value);
    case 'doi':
      return papers.find((p) => normalizeDoi(p.ids.doi ?? p.doi) === id.value);
    case 'arxiv':
      return papers.find(
        (p) => normalizeArxivId(p.ids.corpus) === id.value || normalizeDoi(p.ids.doi ?? p.doi) === `10.48550/arxiv.${id.value}`,
      );
    case 'title': {
      const title = normalizeTitle(id.value);
      return title ? papers.find((p) => normalizeTitle(p.title) === title) : undefined;
    }
    default:
      return undefined;
  }
}

/** Options of {@link createCorpusSource}. */
export interface CorpusSourceOptions {
  /** How many candidates the source returns at most (before the pipeline's screening). */
  maxResults?: number;
  /**
   * Directory of the persistent corpus index (see `corpusIndexDir`). Without one, every process reads
   * and indexes the files in memory (tests, tiny corpora, `SYNTH_INDEX_DIR=none`).
   */
  indexDir?: string;
}

/** Least time between two progress lines of an index build, so a chat thread is not edited too often. */
const PROGRESS_EVERY_MS = 1_000;

/** Creates the local corpus source over `paths` (JSONL or JSONL.gz files). */
export function createCorpusSource(paths: readonly string[], options?: CorpusSourceOptions & { indexDir?: undefined }): Source & {
  load(): Promise<LoadedCorpus>;
};
export function createCorpusSource(paths: readonly string[], options: CorpusSourceOptions): Source & {
  load(): Promise<LoadedCorpus | IndexedCorpusLoad>;
};
export function createCorpusSource(paths: readonly string[], options: CorpusSourceOptions = {}): Source & {
  load(): Promise<LoadedCorpus | IndexedCorpusLoad>;
} {
  if (paths.length === 0) throw new ValidationError('validation', 'A corpus source needs at least one file.');
  const limitOf = (query: SearchQuery) => Math.max(query.maxResults, options.maxResults ?? 0);
  const inYears = (query: SearchQuery, paper: Paper) =>
    !(query.yearFrom !== undefined && paper.year !== undefined && paper.year < query.yearFrom) &&
    !(query.yearTo !== undefined && paper.year !== undefined && paper.year > query.yearTo);
  const warnAbout = (ctx: SourceContext, failed: readonly CorpusFailure[], problems: Counted, duplicates: Counted, truncated: Counted) => {
    if (!ctx.warn) return;
    if (failed.length > 0) {
      const files = new Set(paths.map((p) => resolve(p))).size;
      ctx.warn(
        'corpus_unreadable',
        `${failed.length} of ${files} corpus files could not be read and ${failed.length === 1 ? 'was' : 'were'} not searched: ${failed.map((f) => f.message).join('; ')}`,
      );
    }
    if (problems.count > 0) ctx.warn('corpus_malformed', `${problems.count} malformed corpus line(s) skipped: ${listed(problems.first, problems.count)}`);
    if (duplicates.count > 0) {
      ctx.warn('corpus_duplicate', `${duplicates.count} corpus record(s) skipped for repeating an id: ${listed(duplicates.first, duplicates.count)}`);
    }
    if (truncated.count > 0) ctx.warn('corpus_truncated', `${truncated.count} overlong title(s) or abstract(s) cut: ${listed(truncated.first, truncated.count)}`);
  };
  const whole = (items: CorpusProblem[]): Counted => ({ count: items.length, first: items });

  if (options.indexDir !== undefined) return createIndexedCorpusSource(paths, options.indexDir, { limitOf, inYears, warnAbout });

  return {
    name: 'corpus',
    local: true,
    load: () => loadCorpus(paths),
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const corpus = await loadCorpus(paths);
      ctx.signal.throwIfAborted();
      warnAbout(ctx, corpus.failed, whole(corpus.problems), whole(corpus.duplicates), whole(corpus.truncated));
      const limit = limitOf(query);
      const hits = corpus.ranker.search(query.text, limit * 3);
      const out: Paper[] = [];
      for (const hit of hits) {
        const paper = corpus.papers[hit.index]!;
        if (!inYears(query, paper)) continue;
        out.push({ ...paper, sourceScore: hit.score });
        if (out.length >= limit) break;
      }
      return out;
    },
    lookupKinds: CORPUS_LOOKUP_KINDS,
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      const corpus = await loadCorpus(paths);
      ctx.signal.throwIfAborted();
      return findCorpusPaper(corpus.papers, id);
    },
  };
}

/**
 * What `load()` gives for a corpus in the persistent index: the papers stay in the index (`papers` is
 * empty; `paperCount` says how many there are), read per question for the papers a run includes.
 */
export interface IndexedCorpusLoad {
  papers: readonly Paper[];
  paperCount: number;
  failed: CorpusFailure[];
  loadMs: number;
}

/** A count of problems and the first few of them. */
interface Counted {
  count: number;
  first: readonly CorpusProblem[];
}

/**
 * The corpus source over the persistent index in `dir`: each search makes sure the index is current
 * for the files (building or extending it, with progress lines, and saying why when a damaged or stale
 * index is rebuilt), then ranks over it; only the papers returned are read whole.
 */
function createIndexedCorpusSource(
  paths: readonly string[],
  dir: string,
  helpers: {
    limitOf: (query: SearchQuery) => number;
    inYears: (query: SearchQuery, paper: Paper) => boolean;
    warnAbout: (ctx: SourceContext, failed: readonly CorpusFailure[], problems: Counted, duplicates: Counted, truncated: Counted) => void;
  },
): Source & { load(): Promise<IndexedCorpusLoad> } {
  const ensure = async (ctx: SourceContext) => {
    const index = openCorpusIndex(dir);
    let last = 0;
    const onProgress = (p: IndexProgress) => {
      const now = performance.now();
      if (now - last < PROGRESS_EVERY_MS && p.done < p.total) return;
      last = now;
      ctx.progress?.(describeIndexProgress(p, now));
    };
    const corpus = await index.ensure(paths, onProgress);
    for (const note of corpus.notes) ctx.warn?.('corpus_index', note);
    return { index, corpus };
  };
  /** Runs `use` over a current index; a damaged one found on the way is replaced, rebuilt and used. */
  const withIndex = async <T>(ctx: SourceContext, use: (index: CorpusIndex, corpus: EnsuredCorpus) => T): Promise<T> => {
    const { index, corpus } = await ensure(ctx);
    ctx.signal.throwIfAborted();
    try {
      return use(index, corpus);
    } catch (error) {
      if (!isCorruption(error)) throw error;
      ctx.warn?.('corpus_index', index.reset(error));
      const again = await ensure(ctx);
      return use(again.index, again.corpus);
    }
  };
  return {
    name: 'corpus',
    local: true,
    // Makes the index current ahead of the first question (the bot calls this before it listens).
    async load(): Promise<IndexedCorpusLoad> {
      const started = performance.now();
      const { corpus } = await ensure({ signal: new AbortController().signal, log: silentLogger });
      return { papers: [], paperCount: corpus.files.reduce((n, f) => n + f.papers, 0), failed: corpus.failed, loadMs: performance.now() - started };
    },
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      return withIndex(ctx, (index, corpus) => {
        helpers.warnAbout(ctx, corpus.failed, corpus.problems, corpus.duplicates, corpus.truncated);
        const limit = helpers.limitOf(query);
        const out: Paper[] = [];
        for (const hit of index.search(corpus.files, query.text, limit * 3)) {
          if (!helpers.inYears(query, hit.paper)) continue;
          out.push({ ...hit.paper, sourceScore: hit.score });
          if (out.length >= limit) break;
        }
        return out;
      });
    },
    lookupKinds: CORPUS_LOOKUP_KINDS,
    async lookup(id: PaperId, ctx: SourceContext): Promise<Paper | undefined> {
      return withIndex(ctx, (index, corpus) => index.lookup(corpus.files, id));
    },
    async remember(paper: Paper): Promise<void> {
      await openCorpusIndex(dir).addPapers([{ ...paper, sources: [...paper.sources] }]);
    },
  };
}
