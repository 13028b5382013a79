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
import { normalizeDoi } from '../pipeline/merge.js';
import { createLexicalRanker, type LexicalRanker } from '../rank/lexical-ranker.js';
import { normalizeWhitespace, stripControl } from '../text/sanitize.js';
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

/** A malformed corpus line, reported with its file and line number. */
export interface CorpusProblem {
  file: string;
  line: number;
  message: string;
}

/** A loaded corpus: its papers and a ranker built over them. */
export interface LoadedCorpus {
  papers: Paper[];
  problems: CorpusProblem[];
  ranker: LexicalRanker;
  /** Milliseconds spent reading, parsing and indexing. */
  loadMs: number;
}

/** Reads one corpus file into papers; malformed lines are returned as problems, never dropped silently. */
export async function readCorpusFile(path: string): Promise<{ papers: Paper[]; problems: CorpusProblem[] }> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SynthError('corpus_unreadable', `Cannot read corpus ${path}: ${reason}.`, { cause: error });
  }
  let text: string;
  try {
    // Gzip by magic number, so a .gz without the extension (or the reverse) still loads.
    text = (buffer[0] === 0x1f && buffer[1] === 0x8b ? gunzipSync(buffer) : buffer).toString('utf8');
  } catch (error) {
    throw new SynthError('corpus_unreadable', `Cannot read corpus ${path}: not valid gzip data.`, { cause: error });
  }
  const name = basename(path).replace(/\.(jsonl|json|ndjson)(\.gz)?$/i, '').replace(/\.gz$/i, '') || 'corpus';
  const papers: Paper[] = [];
  const problems: CorpusProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      problems.push({ file: path, line: i + 1, message: `invalid JSON (${(error as Error).message})` });
      continue;
    }
    const parsed = CorpusLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `field "${issue.path.join('.')}": ` : '';
      problems.push({ file: path, line: i + 1, message: `${where}${issue?.message ?? 'invalid line'}` });
      continue;
    }
    papers.push(toPaper(parsed.data, name));
  }
  return { papers, problems };
}

function toPaper(line: z.infer<typeof CorpusLineSchema>, corpusName: string): Paper {
  const rawId = (line.id ?? line._id ?? line.doc_id)!;
  const sentences = Array.isArray(line.abstract)
    ? line.abstract.map((s) => normalizeWhitespace(stripControl(s))).filter(Boolean)
    : undefined;
  const abstract = sentences
    ? sentences.join(' ')
    : normalizeWhitespace(stripControl(typeof line.abstract === 'string' ? line.abstract : (line.text ?? '')));
  const doi = normalizeDoi(line.doi);
  return {
    id: `${corpusName}:${rawId}`,
    title: normalizeWhitespace(stripControl(line.title ?? '')),
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
}

const loaded = new Map<string, Promise<LoadedCorpus>>();

/**
 * Loads and indexes corpus files, once per process for the same files (same path, size and mtime).
 * Throws `corpus_unreadable` naming a missing or unreadable file.
 */
export async function loadCorpus(paths: readonly string[]): Promise<LoadedCorpus> {
  const keys = await Promise.all(
    paths.map(async (p) => {
      const full = resolve(p);
      try {
        const s = await stat(full);
        if (!s.isFile()) throw new Error('not a file');
        return `${full}|${s.size}|${s.mtimeMs}`;
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
        throw new SynthError('corpus_unreadable', `Cannot read corpus ${p}: ${reason}.`, { cause: error });
      }
    }),
  );
  const key = keys.join('\n');
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => {
      const started = performance.now();
      const files = await Promise.all(paths.map((p) => readCorpusFile(p)));
      const papers = files.flatMap((f) => f.papers);
      const problems = files.flatMap((f) => f.problems);
      const ranker = createLexicalRanker(papers);
      return { papers, problems, ranker, loadMs: performance.now() - started };
    })();
    loaded.set(key, pending);
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}

/** Options of {@link createCorpusSource}. */
export interface CorpusSourceOptions {
  /** How many candidates the source returns at most (before the pipeline's screening). */
  maxResults?: number;
}

/** Creates the local corpus source over `paths` (JSONL or JSONL.gz files). */
export function createCorpusSource(paths: readonly string[], options: CorpusSourceOptions = {}): Source & {
  load(): Promise<LoadedCorpus>;
} {
  if (paths.length === 0) throw new ValidationError('validation', 'A corpus source needs at least one file.');
  return {
    name: 'corpus',
    load: () => loadCorpus(paths),
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      const corpus = await loadCorpus(paths);
      ctx.signal.throwIfAborted();
      if (corpus.problems.length > 0 && ctx.warn) {
        const first = corpus.problems.slice(0, 3).map((p) => `${p.file}:${p.line}: ${p.message}`);
        ctx.warn(
          'corpus_malformed',
          `${corpus.problems.length} malformed corpus line(s) skipped: ${first.join('; ')}${corpus.problems.length > 3 ? '; ...' : ''}`,
        );
      }
      const limit = Math.max(query.maxResults, options.maxResults ?? 0);
      const hits = corpus.ranker.search(query.text, limit * 3);
      const out: Paper[] = [];
      for (const hit of hits) {
        const paper = corpus.papers[hit.index]!;
        if (query.yearFrom !== undefined && paper.year !== undefined && paper.year < query.yearFrom) continue;
        if (query.yearTo !== undefined && paper.year !== undefined && paper.year > query.yearTo) continue;
        out.push({ ...paper, sourceScore: hit.score });
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
