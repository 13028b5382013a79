/**
 * The persistent corpus index's file: one SQLite database (through better-sqlite3) per index directory,
 * shared by every corpus file indexed there, by the CLI and the bot. SQLite is the container, not the
 * ranker: it holds the papers, the BM25F postings (one blob per term and segment), the adjacent-pair
 * document frequencies and the segments' length arrays, and the core's own scoring runs over what a
 * query fetches (README, "A persistent corpus index", says why not FTS5's bm25()).
 *
 * A segment is a batch of papers from one file, with postings of its own; statistics (document count,
 * lengths, document frequencies) add up over segments, so a new file or appended lines become new
 * segments and a changed file drops only its own. WAL mode lets a process read the old index while
 * another writes a new segment.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SynthError } from '../errors.js';
import { DEFAULT_RANKER_OPTIONS } from '../rank/lexical-ranker.js';

/** The index file's name inside its directory. */
export const INDEX_FILE_NAME = 'corpus-index.sqlite';

/**
 * What the stored postings depend on: the file layout, the analyser and the title weight folded into
 * the term frequencies. An index with another format is rebuilt, and the run says so.
 */
export const INDEX_FORMAT = `corpus-index/3 analyser/porter-1 title-weight/${DEFAULT_RANKER_OPTIONS.titleWeight}`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  hash TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  gzip INTEGER NOT NULL,
  ends_newline INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  papers INTEGER NOT NULL,
  report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL,
  base INTEGER NOT NULL,
  count INTEGER NOT NULL,
  lengths BLOB NOT NULL,
  pair_lengths BLOB NOT NULL,
  checksum TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS docs (
  docno INTEGER PRIMARY KEY,
  segment INTEGER NOT NULL,
  paper_id TEXT NOT NULL UNIQUE,
  raw_id TEXT NOT NULL,
  doi TEXT,
  arxiv TEXT,
  title_key TEXT NOT NULL,
  title_pairs INTEGER NOT NULL,
  pairs BLOB NOT NULL,
  paper TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_raw_id ON docs (raw_id);
CREATE INDEX IF NOT EXISTS docs_doi ON docs (doi) WHERE doi IS NOT NULL;
CREATE INDEX IF NOT EXISTS docs_arxiv ON docs (arxiv) WHERE arxiv IS NOT NULL;
CREATE INDEX IF NOT EXISTS docs_title ON docs (title_key);
CREATE TABLE IF NOT EXISTS postings (
  term TEXT NOT NULL,
  segment INTEGER NOT NULL,
  df INTEGER NOT NULL,
  docs BLOB NOT NULL,
  tfs BLOB NOT NULL,
  PRIMARY KEY (term, segment)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pairs (
  bucket INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  entries BLOB NOT NULL,
  PRIMARY KEY (bucket, segment)
) WITHOUT ROWID;
`;

/** An open index database and what happened while opening it. */
export interface OpenedIndex {
  db: Database.Database;
  path: string;
  /** Why an existing file was replaced by an empty index (corrupt, another format), if it was. */
  rebuilt?: string;
}

/** The index file in `dir`. */
export function indexPath(dir: string): string {
  return join(resolve(dir), INDEX_FILE_NAME);
}

/** True for SQLite's errors that mean the file is damaged or not a database at all. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

/** Deletes the index file and its WAL companions. */
export function removeIndexFile(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

function openRaw(path: string, readonly: boolean): Database.Database {
  const db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    // Papers are rows of a few kilobytes: with SQLite's default 4 KiB pages, writing 50,000 of them
    // measured five times slower. Takes effect only on a new file, before WAL mode is set.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  // A bounded page cache (in KiB): queries read a few postings, not the whole file.
  db.pragma('cache_size = -65536');
  return db;
}

function checkFormat(db: Database.Database): string | undefined {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined;
  if (!row) return undefined;
  return row.value === INDEX_FORMAT ? undefined : `it was built by another version (${row.value})`;
}

/**
 * Opens (creating when missing) the index database at `path`. A file SQLite cannot read, or one built
 * in another format, is deleted and replaced by an empty index; `rebuilt` says why, for the caller to
 * tell the user. Throws `index_unwritable` when the directory cannot hold the file.
 */
export function openIndexDatabase(path: string): OpenedIndex {
  try {
    mkdirSync(resolve(path, '..'), { recursive: true });
  } catch (error) {
    throw new SynthError('index_unwritable', `Cannot create the corpus index directory for ${path}: ${(error as Error).message}. Set SYNTH_INDEX_DIR to a writable directory.`, { cause: error });
  }
  let rebuilt: string | undefined;
  const existed = existsSync(path);
  for (let attempt = 0; attempt < 2; attempt++) {
    let db: Database.Database | undefined;
    try {
      db = openRaw(path, false);
      const stale = existed && attempt === 0 ? checkFormat(safeMeta(db)) : undefined;
      if (stale) {
        db.close();
        removeIndexFile(path);
        rebuilt = stale;
        continue;
      }
      db.exec(SCHEMA);
      db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('format', ?), ('generation', '0')").run(INDEX_FORMAT);
      return { db, path, ...(rebuilt ? { rebuilt } : {}) };
    } catch (error) {
      db?.close();
      if (attempt === 0 && isCorruption(error)) {
        removeIndexFile(path);
        rebuilt = `it was damaged (${(error as Error).message})`;
        continue;
      }
      throw new SynthError('index_unwritable', `Cannot open the corpus index ${path}: ${(error as Error).message}. Set SYNTH_INDEX_DIR to a writable directory, or run \`synthesize index drop\`.`, { cause: error });
    }
  }
  throw new SynthError('index_unwritable', `Cannot open the corpus index ${path}.`);
}

/** The database, after making sure the meta table can be read (a damaged file fails here). */
function safeMeta(db: Database.Database): Database.Database {
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  return db;
}

/** The generation counter, bumped by every committed change, so readers know to reload their view. */
export function readGeneration(db: Database.Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'generation'").get() as { value: string } | undefined;
  return Number(row?.value ?? 0);
}

/** Bumps the generation counter (inside the writer's transaction). */
export function bumpGeneration(db: Database.Database): void {
  db.prepare("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'").run();
}
