/**
 * Stores, on keyv: finished reports, job state and the sources' HTTP cache. `sqlite://PATH` (the
 * default; survives restarts), `memory://` (tests) or `redis://HOST:PORT` (several processes). The
 * SQLite and Redis adapters are loaded only when used.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { ConfigError, SynthError } from '../errors.js';
import type { Report } from '../model.js';
import type { JobRecord } from '../jobs/job.js';
import { maskUrlPassword } from '../text/redact.js';

/** The stores a process uses. */
export interface Stores {
  reports: Keyv<Report>;
  jobs: Keyv<JobRecord>;
  /** Cached HTTP responses of the live sources. */
  cache: Keyv<unknown>;
  /** Per-message state of the chat adapters (e.g. which page of claims a message shows). */
  state: Keyv<unknown>;
  /** Closes connections; the stores cannot be used after. */
  close(): Promise<void>;
}

const NAMESPACES = ['reports', 'jobs', 'cache', 'state'] as const;

/** How long an SQLite database may take to open before STORE_URL is reported as unusable. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/** Options of {@link createStores}. */
export interface StoreOptions {
  /** Longest wait for an SQLite database to open and create its table (default 10 s). */
  openTimeoutMs?: number;
  /** Opens one SQLite adapter on a file (default `@keyv/sqlite`; tests pass one that never answers). */
  openSqlite?: (file: string) => KeyvStoreAdapter | Promise<KeyvStoreAdapter>;
}

/**
 * Opens the stores named by `url` (see module doc). A malformed URL is a `config` error; an SQLite
 * database that cannot be opened (a directory, a path under /proc, a directory that cannot be
 * created, a file that is not a database, no answer within `openTimeoutMs`) is a `store` error whose
 * one-line message names STORE_URL and the path. Nothing is left to fail later as an unhandled rejection.
 */
export async function createStores(url: string, options: StoreOptions = {}): Promise<Stores> {
  const adapters: (KeyvStoreAdapter | undefined)[] = await openAdapters(url, options);
  const instances = NAMESPACES.map((namespace, i) => {
    const adapter = adapters[i];
    const keyv = adapter ? new Keyv({ store: adapter, namespace }) : new Keyv({ namespace });
    keyv.on('error', () => {
      // Errors surface on the awaited operation; keyv also emits them, and an unhandled 'error'
      // event would crash the process.
    });
    return keyv;
  });
  return {
    reports: instances[0] as Keyv<Report>,
    jobs: instances[1] as Keyv<JobRecord>,
    cache: instances[2] as Keyv<unknown>,
    state: instances[3] as Keyv<unknown>,
    async close() {
      await Promise.all(instances.map((k) => k.disconnect().catch(() => undefined)));
    },
  };
}

async function openAdapters(url: string, options: StoreOptions): Promise<(KeyvStoreAdapter | undefined)[]> {
  if (url === 'memory://') return NAMESPACES.map(() => undefined);
  if (url.startsWith('sqlite://')) return openSqlite(resolve(url.slice('sqlite://'.length)), options);
  if (/^rediss?:\/\//.test(url)) {
    let mod: { default: new (url: string) => KeyvStoreAdapter };
    try {
      mod = (await import('@keyv/redis' as string)) as typeof mod;
    } catch (error) {
      throw new SynthError('config', 'STORE_URL: redis:// needs the optional package @keyv/redis (npm install @keyv/redis).', {
        cause: error,
      });
    }
    return NAMESPACES.map(() => new mod.default(url));
  }
  throw new ConfigError('STORE_URL', `must be sqlite://PATH, memory:// or redis://HOST:PORT (got "${maskUrlPassword(url)}").`);
}

const storeError = (message: string, cause?: unknown) => new SynthError('store', `STORE_URL: ${message}`, { cause });

/** What an SQLite failure means, in a sentence naming the path. */
function describeSqliteFailure(path: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB') return `cannot use ${path} as an SQLite database: the file is something else (SQLITE_NOTADB). Point STORE_URL at a new or existing database file.`;
  if (code === 'SQLITE_READONLY') return `the SQLite database at ${path} is read-only (SQLITE_READONLY). Point STORE_URL at a writable file.`;
  const reason = (error as Error).message ?? String(error);
  return `cannot open the SQLite database at ${path} (${reason}). Point STORE_URL at a file in a writable directory, e.g. sqlite://.synthesize/store.sqlite.`;
}

/**
 * Creates the missing directories of `dir` one level at a time. Node's own `mkdir({ recursive: true })`
 * never returns for a path such as /proc/self/x/y (it retries the ENOENT forever, the sync form too),
 * which made such a STORE_URL hang the process.
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info) {
      if (!info.isDirectory()) throw Object.assign(new Error(`${current} is a file, not a directory`), { code: 'ENOTDIR' });
      break;
    }
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing) {
    await mkdir(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** Rejects after `ms` with `error()`, unless `work` settles first. */
async function within<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function defaultOpenSqlite(file: string): Promise<KeyvStoreAdapter> {
  const { KeyvSqlite } = await import('@keyv/sqlite');
  return new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5000 }) as unknown as KeyvStoreAdapter;
}

/**
 * Opens one SQLite adapter per namespace on `path` and waits (at most `openTimeoutMs`) until each has
 * its connection and table: the driver opens in the background, and a failure nobody awaited was an
 * unhandled rejection that ended the process with a stack trace.
 */
async function openSqlite(path: string, options: StoreOptions): Promise<KeyvStoreAdapter[]> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) throw storeError(`${path} is a directory; name a database file in it, e.g. sqlite://${join(path, 'store.sqlite')}.`);
  const timeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const dir = dirname(path);
  try {
    await within(makeDirectories(dir), timeoutMs, () => new Error(`no answer within ${timeoutMs / 1000} s`));
  } catch (error) {
    throw storeError(`cannot create the directory ${dir} for the SQLite database at ${path} (${(error as Error).message}).`, error);
  }
  const open = options.openSqlite ?? defaultOpenSqlite;
  const adapters = await Promise.all(NAMESPACES.map(() => open(path)));
  // Each adapter's first query waits for its connection and its table, so a failure surfaces here.
  const ready = Promise.all(adapters.map((adapter) => (adapter as unknown as { query(sql: string): Promise<unknown> }).query('SELECT 1')));
  try {
    await within(ready, timeoutMs, () =>
      storeError(`the SQLite database at ${path} did not open within ${timeoutMs / 1000} s. Point STORE_URL at a file on a local disk, e.g. sqlite://.synthesize/store.sqlite.`),
    );
  } catch (error) {
    ready.catch(() => undefined);
    for (const adapter of adapters) void adapter.disconnect?.()?.catch(() => undefined);
    if (error instanceof SynthError) throw error;
    throw storeError(describeSqliteFailure(path, error), error);
  }
  return adapters;
}
