/**
 * The persistent corpus index: keeps the index file current for a list of corpus files (building,
 * extending or rebuilding per file, waiting for another process that is writing), and ranks and looks
 * up papers over it with the core's ranker (BM25F, the adjacent-pair bonus, RM3 feedback) reading only
 * the postings of the query's terms and the abstracts of the candidates it re-scores.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SynthError } from '../errors.js';
import type { Paper } from '../model.js';
import { normalizeDoi, normalizeTitle } from '../pipeline/merge.js';
import type { Bm25Hit } from '../rank/bm25.js';
import { DEFAULT_RANKER_OPTIONS, expandQuery, PAIR_POOL, type AnalysedDocument } from '../rank/lexical-ranker.js';
import { pairsOf } from '../rank/pair-index.js';
import type { CorpusFailure, CorpusProblem } from '../sources/corpus.js';
import type { PaperId } from '../sources/paper-id.js';
import { terms } from '../text/tokens.js';
import { checkFile, deleteFileSegments, fileRow, pairBucket, readStoredPaper, indexFile, segmentChecksum, writePapers, type FileCheck, type FileReport, type FileRow, type IndexProgress } from './build.js';
import { bumpGeneration, indexPath, isCorruption, openIndexDatabase, readGeneration, removeIndexFile } from './database.js';

export type { IndexProgress } from './build.js';

/** How long a process waits for another one's build before giving up (a stuck writer). */
export const INDEX_WAIT_MS = 30 * 60_000;
/** The stored "file" that papers added from chat threads go to; every search includes it. */
export const ADDED_PAPERS_FILE = '(papers added in chat threads)';

interface Segment {
  id: number;
  fileId: number;
  base: number;
  count: number;
  lengths: Float32Array;
  pairLengths: Float32Array;
}

/** The segments of the files one search covers, with their statistics added up. */
interface Selection {
  segments: Segment[];
  /** Position of each segment's first paper among the selection's papers. */
  offsets: number[];
  bySegment: Map<number, number>;
  n: number;
  norm: Float64Array;
  pairNorm: Float64Array;
}

/** What {@link CorpusIndex.ensure} made sure of. */
export interface EnsuredCorpus {
  /** Stored rows of the files that could be read, in the order given. */
  files: FileRow[];
  failed: CorpusFailure[];
  problems: { count: number; first: CorpusProblem[] };
  duplicates: { count: number; first: CorpusProblem[] };
  truncated: { count: number; first: CorpusProblem[] };
  /** Sentences for the user: what was built, rebuilt or repaired, and why. */
  notes: string[];
  /** Milliseconds spent building (0 when the index was current). */
  buildMs: number;
}

/** One ranked paper. */
export interface IndexHit {
  paper: Paper;
  score: number;
}

/** A file's state in `synthesize index status`. */
export interface FileStatus {
  path: string;
  state: 'current' | 'not indexed' | 'stale' | 'appended' | 'unreadable';
  papers: number;
  segments: number;
  message?: string;
}

class CorruptIndex extends Error {
  readonly code = 'SQLITE_CORRUPT_INDEX';
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function floats(blob: Buffer): Float32Array {
  // A blob's bytes may start at any offset of a shared buffer; typed arrays need alignment.
  const copy = blob.byteOffset % 4 === 0 ? blob : Buffer.from(blob);
  return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}
function uints(blob: Buffer): Uint32Array {
  const copy = blob.byteOffset % 4 === 0 ? blob : Buffer.from(blob);
  return new Uint32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}

/** The frequency of `hash` in a bucket's sorted (hash, frequency) entries, 0 when absent. */
function pairFrequency(entries: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = entries.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = entries[2 * mid]!;
    if (v === hash) return entries[2 * mid + 1]!;
    if (v < hash) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** Keeps the best `limit` of (position, score), ties to the lower position, as the in-memory ranker sorts. */
function topHits(scores: Float64Array, touched: Int32Array, count: number, limit: number): Bm25Hit[] {
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  // A min-heap of the best so far, worst at the root.
  const heap: number[] = [];
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && better(heap[worst]!, heap[l]!)) worst = l;
      if (r < heap.length && better(heap[worst]!, heap[r]!)) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  };
  for (let t = 0; t < count; t++) {
    const doc = touched[t]!;
    if (heap.length < limit) {
      heap.push(doc);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!better(heap[parent]!, heap[i]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (limit > 0 && better(doc, heap[0]!)) {
      heap[0] = doc;
      down(0);
    }
  }
  return heap.map((index) => ({ index, score: scores[index]! })).sort((x, y) => y.score - x.score || x.index - y.index);
}

/** The persistent index in one directory. Use {@link openCorpusIndex}: one instance per file and process. */
export class CorpusIndex {
  private db: Database.Database;
  private generation = -1;
  private segments: Segment[] = [];
  private selections = new Map<string, Selection>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the file was replaced at open, reported once by the next {@link ensure}. */
  private pendingNote: string | undefined;

  constructor(readonly path: string) {
    const opened = openIndexDatabase(path);
    this.db = opened.db;
    if (opened.rebuilt) this.pendingNote = `The corpus index ${path} was rebuilt: ${opened.rebuilt}.`;
  }

  /** Size of the index file and its WAL, in bytes. */
  fileBytes(): number {
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(`${this.path}${suffix}`).size;
      } catch {
        // No WAL file: nothing to add.
      }
    }
    return total;
  }

  /**
   * Makes the index current for `paths`: new files are indexed, appended lines added as new segments,
   * changed files rebuilt. Builds are serialised within the process and across processes (SQLite's
   * write lock; a process that finds another building waits, reporting `waiting`).
   */
  ensure(paths: readonly string[], onProgress: (p: IndexProgress) => void = () => {}): Promise<EnsuredCorpus> {
    const run = this.queue.then(() => this.ensureNow(paths, onProgress));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ensureNow(paths: readonly string[], onProgress: (p: IndexProgress) => void): Promise<EnsuredCorpus> {
    const unique = [...new Map(paths.map((p) => [resolve(p), p])).values()];
    const notes: string[] = [];
    if (this.pendingNote) notes.push(this.pendingNote);
    this.pendingNote = undefined;
    let checks: FileCheck[];
    try {
      checks = await this.checkAll(unique);
    } catch (error) {
      if (!isCorruption(error)) throw error;
      notes.push(this.reset(error));
      checks = await this.checkAll(unique);
    }
    const failed: CorpusFailure[] = [];
    const started = performance.now();
    let built = false;
    if (checks.some((c) => c.kind !== 'fresh' && c.kind !== 'unreadable')) {
      await this.withWriter(onProgress, unique[0]!, async (writer, transaction) => {
        for (let i = 0; i < unique.length; i++) {
          const path = unique[i]!;
          if (checks[i]!.kind === 'fresh' || checks[i]!.kind === 'unreadable') continue;
          try {
            await transaction(async () => {
              // Another process may have indexed the file while this one waited for the lock.
              const check = await checkFile(writer, path);
              if (check.kind === 'fresh') return;
              if (check.kind === 'unreadable') throw new SynthError('corpus_unreadable', check.message);
              await indexFile(writer, path, check, onProgress);
              // A touched file (same content, new mtime) only had its row updated.
              if (check.kind !== 'touched') built = true;
              if (check.kind === 'changed') notes.push(`The corpus file ${path} changed since it was indexed; its index was rebuilt.`);
              if (check.kind === 'appended') notes.push(`Lines appended to ${path} were added to the corpus index.`);
            });
          } catch (error) {
            if (!(error instanceof SynthError)) throw error;
            failed.push({ file: path, message: error.message });
          }
        }
      });
    }
    for (let i = 0; i < unique.length; i++) {
      const c = checks[i]!;
      if (c.kind === 'unreadable') failed.push({ file: unique[i]!, message: c.message });
    }
    const rows = unique.map((p) => (failed.some((f) => f.file === p) ? undefined : fileRow(this.db, p))).filter((r): r is FileRow => r !== undefined);
    if (rows.length === 0) {
      throw new SynthError('corpus_unreadable', unique.map((p) => failed.find((f) => f.file === p)?.message ?? `Cannot read corpus ${p}.`).join('; '));
    }
    const reports = rows.map((r) => JSON.parse(r.report) as FileReport);
    const sum = (count: (r: FileReport) => number, list: (r: FileReport) => CorpusProblem[]) => ({
      count: reports.reduce((n, r) => n + (count(r) ?? 0), 0),
      first: reports.flatMap((r) => list(r) ?? []).slice(0, 3),
    });
    return {
      files: rows,
      failed,
      problems: sum((r) => r.problemCount, (r) => r.problems),
      duplicates: sum((r) => r.duplicateCount, (r) => r.duplicates),
      truncated: sum((r) => r.truncatedCount, (r) => r.truncated),
      notes,
      buildMs: built ? performance.now() - started : 0,
    };
  }

  /**
   * Each file's check, one file at a time and without keeping its bytes: the writer reads a file again
   * when it indexes it, so a corpus of many large files is never held in memory at once.
   */
  private async checkAll(paths: readonly string[]): Promise<FileCheck[]> {
    const checks: FileCheck[] = [];
    for (const path of paths) {
      const check = await checkFile(this.db, path);
      if ('buffer' in check) check.buffer = Buffer.alloc(0);
      checks.push(check);
    }
    return checks;
  }

  /**
   * Runs `work` with a connection of its own for writing (so this process's readers keep the last
   * committed state); `transaction(fn)` runs `fn` holding SQLite's write lock, waiting (and reporting
   * `waiting`) while another process holds it, and commits, or rolls back when `fn` throws.
   */
  private async withWriter(
    onProgress: (p: IndexProgress) => void,
    file: string,
    work: (db: Database.Database, transaction: (fn: () => Promise<void>) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const writer = new Database(this.path);
    writer.pragma('busy_timeout = 0');
    // A build is one transaction per file: without fsyncs, and with room to keep the B-trees it is
    // growing in memory until the commit. A crash mid-build leaves at worst a damaged file, which the
    // next open detects and rebuilds.
    writer.pragma('synchronous = OFF');
    writer.pragma('cache_size = -262144');
    const transaction = async (fn: () => Promise<void>) => {
      const waitStarted = performance.now();
      for (;;) {
        try {
          writer.exec('BEGIN IMMEDIATE');
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
          if (performance.now() - waitStarted > INDEX_WAIT_MS) {
            throw new SynthError('index_busy', `Another process has been writing the corpus index ${this.path} for over ${INDEX_WAIT_MS / 60_000} minutes; try again later.`);
          }
          onProgress({ phase: 'waiting', file, done: 0, total: 0, startedAt: waitStarted });
          await sleep(250);
        }
      }
      try {
        await fn();
        writer.exec('COMMIT');
      } catch (error) {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        throw error;
      }
    };
    try {
      await work(writer, transaction);
    } finally {
      writer.close();
    }
  }

  /** Replaces a damaged index file by an empty one; returns the sentence saying so. */
  reset(error: unknown): string {
    try {
      this.db.close();
    } catch {
      // Closing a damaged database can fail too; the file is removed either way.
    }
    removeIndexFile(this.path);
    const opened = openIndexDatabase(this.path);
    this.db = opened.db;
    this.generation = -1;
    this.selections.clear();
    return `The corpus index ${this.path} was damaged (${(error as Error).message}); it was deleted and is being rebuilt.`;
  }

  /** Reloads the segments when another connection or process committed since the last look. */
  private refresh(): void {
    const generation = readGeneration(this.db);
    if (generation === this.generation) return;
    const rows = this.db.prepare('SELECT id, file_id, base, count, lengths, pair_lengths, checksum FROM segments ORDER BY base').all() as {
      id: number;
      file_id: number;
      base: number;
      count: number;
      lengths: Buffer;
      pair_lengths: Buffer;
      checksum: string;
    }[];
    this.segments = rows.map((r) => {
      if (segmentChecksum(r.count, r.lengths, r.pair_lengths) !== r.checksum || r.lengths.byteLength !== r.count * 4) {
        throw new CorruptIndex(`segment ${r.id} fails its checksum`);
      }
      return { id: r.id, fileId: r.file_id, base: r.base, count: r.count, lengths: floats(r.lengths), pairLengths: floats(r.pair_lengths) };
    });
    this.generation = generation;
    this.selections.clear();
  }

  private addedFileId(): number | undefined {
    return fileRow(this.db, ADDED_PAPERS_FILE)?.id;
  }

  private select(fileIds: readonly number[]): Selection {
    this.refresh();
    const added = this.addedFileId();
    const wanted = new Set(added === undefined ? fileIds : [...fileIds, added]);
    const key = [...wanted].sort((a, b) => a - b).join(',');
    const cached = this.selections.get(key);
    if (cached) return cached;
    const segments = this.segments.filter((s) => wanted.has(s.fileId));
    const offsets: number[] = [];
    let n = 0;
    let total = 0;
    let pairTotal = 0;
    for (const s of segments) {
      offsets.push(n);
      n += s.count;
      for (let i = 0; i < s.count; i++) {
        total += s.lengths[i]!;
        pairTotal += s.pairLengths[i]!;
      }
    }
    const { k1, b } = DEFAULT_RANKER_OPTIONS;
    const avg = n > 0 ? total / n || 1 : 1;
    const pairAvg = n > 0 ? pairTotal / n || 1 : 1;
    const norm = new Float64Array(n);
    const pairNorm = new Float64Array(n);
    segments.forEach((s, j) => {
      const o = offsets[j]!;
      for (let i = 0; i < s.count; i++) {
        norm[o + i] = k1 * (1 - b + (b * s.lengths[i]!) / avg);
        pairNorm[o + i] = k1 * (1 - b + (b * s.pairLengths[i]!) / pairAvg);
      }
    });
    const selection: Selection = { segments, offsets, bySegment: new Map(segments.map((s, j) => [s.id, j])), n, norm, pairNorm };
    this.selections.set(key, selection);
    return selection;
  }

  private docnoOf(sel: Selection, position: number): number {
    let lo = 0;
    let hi = sel.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (sel.offsets[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return sel.segments[lo]!.base + (position - sel.offsets[lo]!);
  }

  private positionOf(sel: Selection, docno: number, segment: number): number | undefined {
    const j = sel.bySegment.get(segment);
    return j === undefined ? undefined : sel.offsets[j]! + (docno - sel.segments[j]!.base);
  }

  /**
   * Ranks the papers of `files` for `text`, exactly as the in-memory ranker would over the same papers
   * (same statistics, same pair bonus, same feedback), and returns the best `limit` with their papers.
   */
  search(files: readonly FileRow[], text: string, limit: number): IndexHit[] {
    try {
      return this.searchNow(files, text, limit);
    } catch (error) {
      if (error instanceof CorruptIndex) throw Object.assign(new Error(error.message), { code: error.code });
      throw error;
    }
  }

  private searchNow(files: readonly FileRow[], text: string, limit: number): IndexHit[] {
    const sel = this.select(files.map((f) => f.id));
    const options = DEFAULT_RANKER_OPTIONS;
    const { k1 } = options;
    const postingsOf = this.db.prepare('SELECT segment, df, docs, tfs FROM postings WHERE term = ?');
    const dfOf = this.db.prepare('SELECT segment, df FROM postings WHERE term = ?');
    const pairEntries = this.db.prepare('SELECT segment, entries FROM pairs WHERE bucket = ?');
    const dfs = new Map<string, number>();
    const documentFrequency = (term: string): number => {
      let df = dfs.get(term);
      if (df === undefined) {
        df = 0;
        for (const row of dfOf.all(term) as { segment: number; df: number }[]) if (sel.bySegment.has(row.segment)) df += row.df;
        dfs.set(term, df);
      }
      return df;
    };
    const idfOf = (df: number) => (df === 0 ? 0 : Math.log(1 + (sel.n - df + 0.5) / (df + 0.5)));
    const idf = (term: string) => idfOf(documentFrequency(term));

    const bm25 = (query: ReadonlyMap<string, number>, want: number): Bm25Hit[] => {
      const scores = new Float64Array(sel.n);
      let touched = new Int32Array(1024);
      let count = 0;
      for (const [term, qw] of query) {
        const rows = (postingsOf.all(term) as { segment: number; df: number; docs: Buffer; tfs: Buffer }[]).filter((r) => sel.bySegment.has(r.segment));
        const df = rows.reduce((s, r) => s + r.df, 0);
        dfs.set(term, df);
        if (df === 0) continue;
        const weight = idfOf(df) * qw;
        for (const row of rows) {
          const offset = sel.offsets[sel.bySegment.get(row.segment)!]!;
          const docs = uints(row.docs);
          const tfs = floats(row.tfs);
          for (let i = 0; i < docs.length; i++) {
            const doc = offset + docs[i]!;
            const tf = tfs[i]!;
            if (scores[doc] === 0) {
              if (count === touched.length) {
                const grown = new Int32Array(touched.length * 2);
                grown.set(touched);
                touched = grown;
              }
              touched[count++] = doc;
            }
            scores[doc] = scores[doc]! + (weight * tf * (k1 + 1)) / (tf + sel.norm[doc]!);
          }
        }
      }
      return topHits(scores, touched, count, want);
    };

    // Papers' terms, fetched for the candidates the pair bonus and the feedback look at.
    const analysed = new Map<number, AnalysedDocument>();
    const analyse = (positions: readonly number[]) => {
      const missing = positions.filter((p) => !analysed.has(p));
      for (let i = 0; i < missing.length; i += 500) {
        const batch = missing.slice(i, i + 500);
        const byDocno = new Map(batch.map((p) => [this.docnoOf(sel, p), p]));
        const rows = this.db
          .prepare(`SELECT docno, paper FROM docs WHERE docno IN (${batch.map(() => '?').join(',')})`)
          .all(...byDocno.keys()) as { docno: number; paper: string }[];
        for (const row of rows) {
          const paper = readStoredPaper(row.paper);
          analysed.set(byDocno.get(row.docno)!, { title: terms(paper.title), body: terms(paper.abstract) });
        }
      }
    };

    const queryTerms = terms(text);
    const pairs = new Map<number, number>();
    if (options.bigramWeight > 0) for (const h of pairsOf(queryTerms)) pairs.set(h, (pairs.get(h) ?? 0) + 1);
    const pairIdf = new Map<number, number>();
    for (const h of pairs.keys()) {
      let df = 0;
      for (const row of pairEntries.all(pairBucket(h)) as { segment: number; entries: Buffer }[]) {
        if (sel.bySegment.has(row.segment)) df += pairFrequency(uints(row.entries), h);
      }
      pairIdf.set(h, df === 0 ? -1 : Math.log(1 + (sel.n - df + 0.5) / (df + 0.5)));
    }

    const pairBonus = (pool: readonly Bm25Hit[]): Map<number, number> => {
      const { titleWeight } = options;
      const bonus = new Map<number, number>();
      const byDocno = new Map(pool.map((h) => [this.docnoOf(sel, h.index), h.index]));
      const docnos = [...byDocno.keys()];
      const rows: { docno: number; title_pairs: number; pairs: Buffer }[] = [];
      for (let i = 0; i < docnos.length; i += 500) {
        const batch = docnos.slice(i, i + 500);
        rows.push(
          ...(this.db.prepare(`SELECT docno, title_pairs, pairs FROM docs WHERE docno IN (${batch.map(() => '?').join(',')})`).all(...batch) as typeof rows),
        );
      }
      for (const row of rows) {
        const position = byDocno.get(row.docno)!;
        const hashes = uints(row.pairs);
        const tf = new Map<number, number>();
        for (let i = 0; i < hashes.length; i++) {
          const h = hashes[i]!;
          if (pairs.has(h)) tf.set(h, (tf.get(h) ?? 0) + (i < row.title_pairs ? titleWeight * 2 : 2));
        }
        let score = 0;
        for (const [h, f] of tf) {
          const pIdf = pairIdf.get(h)!;
          if (pIdf < 0) continue;
          const t = Math.min(255, Math.round(f)) / 2;
          score += (pairs.get(h)! * pIdf * t * (k1 + 1)) / (t + sel.pairNorm[position]!);
        }
        if (score !== 0) bonus.set(position, score);
      }
      return bonus;
    };

    const combine = (query: ReadonlyMap<string, number>, want: number): Bm25Hit[] => {
      if (pairs.size === 0) return bm25(query, want);
      const pool = bm25(query, Math.max(want, PAIR_POOL));
      const bonus = pairBonus(pool);
      return pool
        .map((h) => ({ index: h.index, score: h.score + options.bigramWeight * (bonus.get(h.index) ?? 0) }))
        .sort((x, y) => y.score - x.score || x.index - y.index)
        .slice(0, want);
    };

    const weights = new Map<string, number>();
    for (const term of queryTerms) weights.set(term, (weights.get(term) ?? 0) + 1);
    let hits = combine(weights, Math.max(limit, options.feedbackDocs));
    if (options.feedbackDocs > 0 && options.feedbackTerms > 0 && hits.length > 0) {
      const top = hits.slice(0, options.feedbackDocs);
      analyse(top.map((h) => h.index));
      const expanded = expandQuery(weights, top, (i) => analysed.get(i), { documentFrequency, idf }, options);
      hits = combine(expanded, limit);
    } else {
      hits = hits.slice(0, limit);
    }
    return this.papersAt(sel, hits);
  }

  private papersAt(sel: Selection, hits: readonly Bm25Hit[]): IndexHit[] {
    if (hits.length === 0) return [];
    const docnos = hits.map((h) => this.docnoOf(sel, h.index));
    const rows = this.db
      .prepare(`SELECT docno, paper FROM docs WHERE docno IN (${docnos.map(() => '?').join(',')})`)
      .all(...docnos) as { docno: number; paper: string }[];
    const byDocno = new Map(rows.map((r) => [r.docno, r.paper]));
    return hits.flatMap((h, i) => {
      const paper = byDocno.get(docnos[i]!);
      return paper ? [{ paper: readStoredPaper(paper), score: h.score }] : [];
    });
  }

  /** The paper of `files` an identifier names (see `findCorpusPaper`, whose rules this follows). */
  lookup(files: readonly FileRow[], id: PaperId): Paper | undefined {
    const sel = this.select(files.map((f) => f.id));
    if (sel.segments.length === 0) return undefined;
    const inSelection = `segment IN (${sel.segments.map((s) => s.id).join(',')})`;
    const one = (where: string, value: string) => {
      const row = this.db.prepare(`SELECT paper FROM docs WHERE ${where} AND ${inSelection} ORDER BY docno LIMIT 1`).get(value) as { paper: string } | undefined;
      return row ? (readStoredPaper(row.paper)) : undefined;
    };
    switch (id.kind) {
      case 'corpus': {
        const raw = id.value.slice(id.value.indexOf(':') + 1);
        return one('paper_id = ?', id.value) ?? one('raw_id = ?', raw);
      }
      case 'pmid':
        return one('raw_id = ?', id.value);
      case 'doi': {
        const doi = normalizeDoi(id.value);
        return doi ? one('doi = ?', doi) : undefined;
      }
      case 'arxiv':
        return one('arxiv = ?', id.value);
      case 'title': {
        const title = normalizeTitle(id.value);
        return title ? one('title_key = ?', title) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** Adds papers (from a chat thread's `add`) as a new segment, skipping ids already indexed. */
  async addPapers(papers: readonly Paper[]): Promise<number> {
    const run = this.queue.then(async () => {
      let added = 0;
      await this.withWriter(() => {}, ADDED_PAPERS_FILE, (writer, transaction) => transaction(async () => {
        let row = fileRow(writer, ADDED_PAPERS_FILE);
        if (!row) {
          writer
            .prepare("INSERT INTO files (path, size, mtime_ms, hash, fingerprint, gzip, ends_newline, lines, papers, report) VALUES (?, 0, 0, '', '', 0, 0, 0, 0, ?)")
            .run(ADDED_PAPERS_FILE, JSON.stringify({ problems: [], problemCount: 0, duplicates: [], duplicateCount: 0, truncated: [], truncatedCount: 0 }));
          row = fileRow(writer, ADDED_PAPERS_FILE)!;
        }
        const fresh = papers.filter((p) => !writer.prepare('SELECT 1 FROM docs WHERE paper_id = ?').get(p.id));
        if (fresh.length === 0) return;
        const result = await writePapers(writer, row.id, fresh, () => {}, () => {});
        writer.prepare('UPDATE files SET papers = papers + ? WHERE id = ?').run(result.papers, row.id);
        bumpGeneration(writer);
        added = result.papers;
      }));
      return added;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Each file's state, without building anything; `integrity` runs SQLite's quick check of the whole file. */
  async status(paths: readonly string[], integrity = false): Promise<{ files: FileStatus[]; bytes: number; integrity?: string }> {
    const files: FileStatus[] = [];
    for (const path of paths) {
      const check = await checkFile(this.db, path);
      const row = 'row' in check ? check.row : undefined;
      const segments = row ? (this.db.prepare('SELECT COUNT(*) AS n FROM segments WHERE file_id = ?').get(row.id) as { n: number }).n : 0;
      const state: FileStatus['state'] =
        check.kind === 'fresh' || check.kind === 'touched'
          ? 'current'
          : check.kind === 'new'
            ? 'not indexed'
            : check.kind === 'appended'
              ? 'appended'
              : check.kind === 'changed'
                ? 'stale'
                : 'unreadable';
      files.push({ path, state, papers: row?.papers ?? 0, segments, ...(check.kind === 'unreadable' ? { message: check.message } : {}) });
    }
    const out: { files: FileStatus[]; bytes: number; integrity?: string } = { files, bytes: this.fileBytes() };
    if (integrity) out.integrity = (this.db.pragma('quick_check', { simple: true }) as string) ?? 'unknown';
    return out;
  }

  /** Removes the given files from the index (their papers, postings and segments). Returns how many were indexed. */
  async drop(paths: readonly string[]): Promise<number> {
    const run = this.queue.then(async () => {
      let dropped = 0;
      await this.withWriter(() => {}, paths[0] ?? '', (writer, transaction) => transaction(async () => {
        for (const path of paths) {
          const row = fileRow(writer, path);
          if (!row) continue;
          deleteFileSegments(writer, row.id);
          writer.prepare('DELETE FROM files WHERE id = ?').run(row.id);
          dropped++;
        }
        bumpGeneration(writer);
      }));
      return dropped;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.db.close();
    instances.delete(this.path);
  }
}

const instances = new Map<string, CorpusIndex>();

/** The process's instance for the index in `dir` (opened, and created when missing, on first use). */
export function openCorpusIndex(dir: string): CorpusIndex {
  const path = indexPath(dir);
  let index = instances.get(path);
  if (!index) instances.set(path, (index = new CorpusIndex(path)));
  return index;
}
