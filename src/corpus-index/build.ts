/**
 * Building the persistent corpus index: deciding per corpus file whether its segments are current,
 * appended to, or stale (size, mtime and content hashes), and writing new segments. A file is written
 * in one transaction, so a reader sees either the old segments or the new ones, never half.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { Paper } from '../model.js';
import { normalizeArxivId, normalizeDoi, normalizeTitle } from '../pipeline/merge.js';
import { DEFAULT_RANKER_OPTIONS } from '../rank/lexical-ranker.js';
import { pairsOf } from '../rank/pair-index.js';
import { decodeCorpusBuffer, MAX_CORPUS_BYTES, parseCorpusText, type CorpusProblem } from '../sources/corpus.js';
import { terms } from '../text/tokens.js';
import { bumpGeneration } from './database.js';

/** Papers per segment: bounds the memory a build holds before writing postings. */
export const SEGMENT_DOCS = 100_000;
/** Papers analysed between two progress reports (and two turns of the event loop). */
const CHUNK = 2_000;
/** Problems kept per file and kind for the run's warnings (the counts are kept whole). */
const KEPT_PROBLEMS = 20;
/** Bytes hashed at each end of a file for the quick check every open makes. */
const FINGERPRINT_BYTES = 64 * 1024;

/** Progress of a build, for the terminal's bar and the chat thread's line. */
export interface IndexProgress {
  phase: 'building' | 'waiting';
  file: string;
  /** Papers indexed so far in this file. */
  done: number;
  total: number;
  /** When this file's build started (ms, `performance.now()`). */
  startedAt: number;
}

/** What a file's lines gave besides papers, as stored with the file. */
export interface FileReport {
  problems: CorpusProblem[];
  problemCount: number;
  duplicates: CorpusProblem[];
  duplicateCount: number;
  truncated: CorpusProblem[];
  truncatedCount: number;
}

const emptyReport = (): FileReport => ({ problems: [], problemCount: 0, duplicates: [], duplicateCount: 0, truncated: [], truncatedCount: 0 });

/** A stored file row. */
export interface FileRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string;
  fingerprint: string;
  gzip: number;
  ends_newline: number;
  lines: number;
  papers: number;
  report: string;
}

/** What a file needs. */
export type FileCheck =
  | { kind: 'fresh'; row: FileRow }
  | { kind: 'new'; buffer: Buffer; mtimeMs: number }
  | { kind: 'touched'; row: FileRow; mtimeMs: number; fingerprint: string }
  | { kind: 'appended'; row: FileRow; buffer: Buffer; mtimeMs: number }
  | { kind: 'changed'; row: FileRow; buffer: Buffer; mtimeMs: number }
  | { kind: 'unreadable'; message: string };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function fingerprintOf(path: string, size: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
    await handle.read(tail, 0, tail.length, Math.max(0, size - tail.length));
    return createHash('sha256').update(String(size)).update(head).update(tail).digest('hex');
  } finally {
    await handle.close();
  }
}

/** The stored row of `path`, if any. */
export function fileRow(db: Database.Database, path: string): FileRow | undefined {
  // Stored files are keyed by absolute path; the chat threads' added papers by a name in parentheses.
  return db.prepare('SELECT * FROM files WHERE path = ?').get(path.startsWith('(') ? path : resolve(path)) as FileRow | undefined;
}

/**
 * What `path` needs. Same size and mtime with the same head-and-tail hash is current (every open checks
 * this, in about a millisecond); anything else reads the whole file: the same content hash is current
 * (a `touch`), a longer file whose old bytes hash as before is an append, else the file changed.
 */
export async function checkFile(db: Database.Database, path: string): Promise<FileCheck> {
  const full = resolve(path);
  let info;
  try {
    info = await stat(full);
    if (!info.isFile()) throw new Error('not a file');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { kind: 'unreadable', message: `Cannot read corpus ${path}: ${reason}.` };
  }
  const row = fileRow(db, full);
  if (row && row.size === info.size && row.mtime_ms === info.mtimeMs && (await fingerprintOf(full, info.size)) === row.fingerprint) {
    return { kind: 'fresh', row };
  }
  let buffer: Buffer;
  try {
    buffer = await readFile(full);
  } catch (error) {
    return { kind: 'unreadable', message: `Cannot read corpus ${path}: ${(error as Error).message}.` };
  }
  if (!row) return { kind: 'new', buffer, mtimeMs: info.mtimeMs };
  if (buffer.length === row.size && sha256(buffer) === row.hash) {
    return { kind: 'touched', row, mtimeMs: info.mtimeMs, fingerprint: await fingerprintOf(full, info.size) };
  }
  const appendable = row.gzip ? isGzip(buffer.subarray(row.size)) : row.ends_newline === 1;
  if (buffer.length > row.size && appendable && sha256(buffer.subarray(0, row.size)) === row.hash) {
    return { kind: 'appended', row, buffer, mtimeMs: info.mtimeMs };
  }
  return { kind: 'changed', row, buffer, mtimeMs: info.mtimeMs };
}

const isGzip = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;

/** A typed array that grows, for the build's flat lists of postings and pairs. */
class Growable<T extends Uint32Array | Float32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}
const uint32s = () => new Growable(new Uint32Array(1 << 16), (n) => new Uint32Array(n));
const float32s = () => new Growable(new Float32Array(1 << 16), (n) => new Float32Array(n));

/** The bucket of a pair hash: pair frequencies are stored as one sorted blob per bucket and segment. */
export const pairBucket = (hash: number): number => hash >>> 20;

/**
 * One segment being written: its papers go to `docs` at once; its postings and pair frequencies are
 * gathered in flat typed arrays (a Map per term cost more in allocation and garbage collection than
 * all the SQLite writes) and written when it is closed.
 */
class SegmentWriter {
  readonly id: number;
  private count = 0;
  private readonly termIds = new Map<string, number>();
  private readonly entryTerm = uint32s();
  private readonly entryDoc = uint32s();
  private readonly entryTf = float32s();
  private readonly docPairs = uint32s();
  private readonly lengths = float32s();
  private readonly pairLengths = float32s();
  private readonly insertDoc: Database.Statement;
  private scratch = new Float32Array(1 << 16);

  constructor(
    private readonly db: Database.Database,
    fileId: number,
    readonly base: number,
  ) {
    const info = db
      .prepare("INSERT INTO segments (file_id, base, count, lengths, pair_lengths, checksum) VALUES (?, ?, 0, x'', x'', '')")
      .run(fileId, base);
    this.id = Number(info.lastInsertRowid);
    this.insertDoc = db.prepare(
      'INSERT OR IGNORE INTO docs (docno, segment, paper_id, raw_id, doi, arxiv, title_key, title_pairs, pairs, paper) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  get size(): number {
    return this.count;
  }

  /** Adds a paper; false when another file already gave its id (the paper is skipped). */
  add(paper: Paper): boolean {
    const rawId = paper.ids.corpus ?? paper.id;
    const doi = normalizeDoi(paper.ids.doi ?? paper.doi) ?? null;
    const arxiv = normalizeArxivId(rawId) ?? (doi?.startsWith('10.48550/arxiv.') ? doi.slice('10.48550/arxiv.'.length) : null);
    const { titleWeight } = DEFAULT_RANKER_OPTIONS;
    const title = terms(paper.title);
    const body = terms(paper.abstract);
    const titlePairs = pairsOf(title);
    const bodyPairs = pairsOf(body);
    // The pair hashes are stored per paper so a query's pair bonus reads them for its candidates
    // instead of tokenising 300 abstracts again.
    const pairs = new Uint32Array(titlePairs.length + bodyPairs.length);
    pairs.set(titlePairs);
    pairs.set(bodyPairs, titlePairs.length);
    const inserted = this.insertDoc.run(
      this.base + this.count,
      this.id,
      paper.id,
      rawId,
      doi,
      arxiv ?? null,
      normalizeTitle(paper.title),
      titlePairs.length,
      bytes(pairs),
      storedPaper(paper),
    );
    if (inserted.changes === 0) return false;
    const local = this.count++;
    // Term frequencies in a scratch array indexed by term id, cleared through the list of ids seen.
    const seen: number[] = [];
    const count = (t: string, weight: number) => {
      let id = this.termIds.get(t);
      if (id === undefined) this.termIds.set(t, (id = this.termIds.size));
      if (id >= this.scratch.length) {
        const grown = new Float32Array(this.scratch.length * 2);
        grown.set(this.scratch);
        this.scratch = grown;
      }
      if (this.scratch[id] === 0) seen.push(id);
      this.scratch[id]! += weight;
    };
    for (const t of title) count(t, titleWeight);
    for (const t of body) count(t, 1);
    for (const id of seen) {
      this.entryTerm.push(id);
      this.entryDoc.push(local);
      this.entryTf.push(this.scratch[id]!);
      this.scratch[id] = 0;
    }
    this.lengths.push(title.length * titleWeight + body.length);
    this.pairLengths.push(Math.max(0, title.length - 1) * titleWeight + Math.max(0, body.length - 1));
    pairs.sort();
    for (let i = 0; i < pairs.length; i++) if (i === 0 || pairs[i] !== pairs[i - 1]) this.docPairs.push(pairs[i]!);
    return true;
  }

  /** Writes the postings, pair frequencies and lengths; the segment is complete after this. */
  close(): void {
    // Postings: count per term, then place each entry at its term's next slot (documents stay in order).
    const termCount = this.termIds.size;
    const starts = new Uint32Array(termCount + 1);
    const entryTerm = this.entryTerm.view();
    for (let i = 0; i < entryTerm.length; i++) starts[entryTerm[i]! + 1]!++;
    for (let t = 0; t < termCount; t++) starts[t + 1]! += starts[t]!;
    const next = starts.slice(0, termCount);
    const docs = new Uint32Array(entryTerm.length);
    const tfs = new Float32Array(entryTerm.length);
    const entryDoc = this.entryDoc.view();
    const entryTf = this.entryTf.view();
    for (let i = 0; i < entryTerm.length; i++) {
      const at = next[entryTerm[i]!]!++;
      docs[at] = entryDoc[i]!;
      tfs[at] = entryTf[i]!;
    }
    const insertPosting = this.db.prepare('INSERT INTO postings (term, segment, df, docs, tfs) VALUES (?, ?, ?, ?, ?)');
    // In key order: appending to a B-tree is faster than inserting all over it.
    for (const term of [...this.termIds.keys()].sort()) {
      const t = this.termIds.get(term)!;
      const from = starts[t]!;
      const to = starts[t + 1]!;
      insertPosting.run(term, this.id, to - from, bytes(docs.subarray(from, to)), bytes(tfs.subarray(from, to)));
    }
    // Pair frequencies: every paper's distinct pairs, sorted, counted in runs, one blob per bucket.
    const all = this.docPairs.view().sort();
    const insertPairs = this.db.prepare('INSERT INTO pairs (bucket, segment, entries) VALUES (?, ?, ?)');
    const bucket: number[] = [];
    let current = -1;
    const flush = () => {
      if (bucket.length > 0) insertPairs.run(current, this.id, bytes(Uint32Array.from(bucket)));
      bucket.length = 0;
    };
    for (let i = 0; i < all.length; ) {
      const h = all[i]!;
      let j = i + 1;
      while (j < all.length && all[j] === h) j++;
      if (pairBucket(h) !== current) {
        flush();
        current = pairBucket(h);
      }
      bucket.push(h, j - i);
      i = j;
    }
    flush();
    const lengths = bytes(this.lengths.view().slice());
    const pairLengths = bytes(this.pairLengths.view().slice());
    this.db
      .prepare('UPDATE segments SET count = ?, lengths = ?, pair_lengths = ?, checksum = ? WHERE id = ?')
      .run(this.count, lengths, pairLengths, segmentChecksum(this.count, lengths, pairLengths), this.id);
  }
}

/** A paper as stored: an abstract given as sentences is stored once, as the sentences. */
function storedPaper(paper: Paper): string {
  if (!paper.sentences || paper.sentences.join(' ') !== paper.abstract) return JSON.stringify(paper);
  const { abstract: _abstract, ...rest } = paper;
  return JSON.stringify(rest);
}

/** A stored paper read back (see {@link storedPaper}). */
export function readStoredPaper(json: string): Paper {
  const paper = JSON.parse(json) as Paper;
  if (paper.abstract === undefined) paper.abstract = (paper.sentences ?? []).join(' ');
  return paper;
}

/** A typed array's bytes, for a blob. */
export function bytes(array: Uint32Array | Float32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** The checksum stored with a segment's length arrays, checked whenever a reader loads them. */
export function segmentChecksum(count: number, lengths: Buffer, pairLengths: Buffer): string {
  return createHash('sha1').update(String(count)).update(lengths).update(pairLengths).digest('hex');
}

/** Deletes a file's segments with their papers, postings and pair frequencies (inside a transaction). */
export function deleteFileSegments(db: Database.Database, fileId: number): void {
  const segments = db.prepare('SELECT id, base, count FROM segments WHERE file_id = ?').all(fileId) as { id: number; base: number; count: number }[];
  for (const { id, base, count } of segments) {
    db.prepare('DELETE FROM docs WHERE docno >= ? AND docno < ?').run(base, base + count);
    db.prepare('DELETE FROM postings WHERE segment = ?').run(id);
    db.prepare('DELETE FROM pairs WHERE segment = ?').run(id);
    db.prepare('DELETE FROM segments WHERE id = ?').run(id);
  }
}

function mergeReport(into: FileReport, add: { problems: CorpusProblem[]; duplicates: CorpusProblem[]; truncated: CorpusProblem[] }): FileReport {
  return {
    problems: [...into.problems, ...add.problems].slice(0, KEPT_PROBLEMS),
    problemCount: into.problemCount + add.problems.length,
    duplicates: [...into.duplicates, ...add.duplicates].slice(0, KEPT_PROBLEMS),
    duplicateCount: into.duplicateCount + add.duplicates.length,
    truncated: [...into.truncated, ...add.truncated].slice(0, KEPT_PROBLEMS),
    truncatedCount: into.truncatedCount + add.truncated.length,
  };
}

/** Papers written, for the caller's summary. */
export interface WriteResult {
  papers: number;
}

/**
 * Writes papers as new segments of file `fileId` (the caller holds the write transaction). Yields to
 * the event loop between chunks so a bot keeps answering while a large corpus is indexed.
 */
export async function writePapers(
  db: Database.Database,
  fileId: number,
  papers: readonly Paper[],
  onDuplicate: (paper: Paper, index: number) => void,
  progress: (done: number) => void,
): Promise<WriteResult> {
  const nextDocno = () => Number((db.prepare('SELECT COALESCE(MAX(docno) + 1, 0) AS n FROM docs').get() as { n: number }).n);
  let writer = new SegmentWriter(db, fileId, nextDocno());
  let written = 0;
  for (let i = 0; i < papers.length; i++) {
    if (writer.size >= SEGMENT_DOCS) {
      writer.close();
      writer = new SegmentWriter(db, fileId, writer.base + writer.size);
    }
    if (writer.add(papers[i]!)) written++;
    else onDuplicate(papers[i]!, i);
    if ((i + 1) % CHUNK === 0) {
      progress(i + 1);
      await new Promise<void>((done) => setImmediate(done));
    }
  }
  writer.close();
  progress(papers.length);
  return { papers: written };
}

/**
 * Indexes one file per its check (the caller holds the write transaction): a new or changed file is
 * parsed whole (a changed one's old segments dropped first), an appended one only from its old end.
 */
export async function indexFile(
  db: Database.Database,
  path: string,
  check: Extract<FileCheck, { kind: 'new' | 'appended' | 'changed' | 'touched' }>,
  onProgress: (p: IndexProgress) => void,
): Promise<void> {
  const full = resolve(path);
  if (check.kind === 'touched') {
    db.prepare('UPDATE files SET mtime_ms = ?, fingerprint = ? WHERE id = ?').run(check.mtimeMs, check.fingerprint, check.row.id);
    return;
  }
  const { buffer } = check;
  const gzip = isGzip(buffer);
  const appended = check.kind === 'appended';
  const text = appended
    ? check.row.gzip
      ? gunzipSync(buffer.subarray(check.row.size), { maxOutputLength: MAX_CORPUS_BYTES }).toString('utf8')
      : buffer.subarray(check.row.size).toString('utf8')
    : decodeCorpusBuffer(path, buffer);
  const firstLine = appended ? check.row.lines + 1 : 1;
  const parsed = parseCorpusText(text, path, firstLine);
  const lineCount = (appended ? check.row.lines : 0) + countLines(text);
  let fileId: number;
  let report: FileReport;
  if (check.kind === 'new') {
    fileId = Number(
      db
        .prepare(
          "INSERT INTO files (path, size, mtime_ms, hash, fingerprint, gzip, ends_newline, lines, papers, report) VALUES (?, 0, 0, '', '', 0, 0, 0, 0, '{}')",
        )
        .run(full).lastInsertRowid,
    );
    report = emptyReport();
  } else {
    fileId = check.row.id;
    if (check.kind === 'changed') deleteFileSegments(db, fileId);
    report = check.kind === 'changed' ? emptyReport() : (JSON.parse(check.row.report) as FileReport);
  }
  const startedAt = performance.now();
  const duplicates: CorpusProblem[] = [];
  const result = await writePapers(
    db,
    fileId,
    parsed.papers,
    (paper, i) => duplicates.push({ file: path, line: parsed.lines[i]!, message: `id "${paper.ids.corpus}" (already indexed from another file)` }),
    (done) => onProgress({ phase: 'building', file: path, done, total: parsed.papers.length, startedAt }),
  );
  report = mergeReport(report, { problems: parsed.problems, duplicates: [...parsed.duplicates, ...duplicates], truncated: parsed.truncated });
  const previousPapers = appended ? check.row.papers : 0;
  db.prepare(
    'UPDATE files SET size = ?, mtime_ms = ?, hash = ?, fingerprint = ?, gzip = ?, ends_newline = ?, lines = ?, papers = ?, report = ? WHERE id = ?',
  ).run(
    buffer.length,
    check.mtimeMs,
    sha256(buffer),
    await fingerprintOf(full, buffer.length),
    gzip ? 1 : 0,
    buffer[buffer.length - 1] === 0x0a ? 1 : 0,
    lineCount,
    previousPapers + result.papers,
    JSON.stringify(report),
    fileId,
  );
  bumpGeneration(db);
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}
