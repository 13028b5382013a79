/**
 * Stores, on keyv: finished reports, job state and the sources' HTTP cache. `sqlite://PATH` (the
 * default; survives restarts), `memory://` (tests) or `redis://HOST:PORT` (several processes). The
 * SQLite and Redis adapters are loaded only when used.
 */
import { randomUUID } from 'node:crypto';
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
  /**
   * Claims `key` for `ttlMs`, atomically across every process sharing the store: true for the first
   * claimer, false for every other until the claim expires or is given back. Redis: `SET NX PX`;
   * SQLite: an upsert in one statement; memory: this process only.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back. */
  unclaim(key: string): Promise<void>;
  /** Which backend this is (`memory`, `sqlite`, `redis`). */
  readonly kind: StoreKind;
  /** Answers when the backend is reachable (a readiness check); throws otherwise. */
  ping(): Promise<void>;
  /** Closes connections; the stores cannot be used after. */
  close(): Promise<void>;
}

const NAMESPACES = ['reports', 'jobs', 'cache', 'state'] as const;

/** A store backend. */
export type StoreKind = 'memory' | 'sqlite' | 'redis';

/** The atomic claims of one backend (see {@link Stores.claim}). */
interface Claimer {
  claim(key: string, ttlMs: number): Promise<boolean>;
  unclaim(key: string): Promise<void>;
  ping(): Promise<void>;
}

/** In one process: a map of expiry times. */
function memoryClaimer(now: () => number = Date.now): Claimer {
  const until = new Map<string, number>();
  return {
    async claim(key, ttlMs) {
      const t = now();
      if ((until.get(key) ?? 0) > t) return false;
      until.set(key, t + ttlMs);
      return true;
    },
    async unclaim(key) {
      until.delete(key);
    },
    async ping() {},
  };
}

interface SqlQuery {
  query(sql: string, ...args: unknown[]): Promise<unknown>;
}

/**
 * In an SQLite file shared by processes: a table of claims, taken with one upsert that replaces only
 * an expired row, then read back (SQLite runs each statement atomically; the token tells whose it is).
 */
function sqliteClaimer(db: SqlQuery): Claimer {
  let ready: Promise<unknown> | undefined;
  const table = () => (ready ??= db.query('CREATE TABLE IF NOT EXISTS synth_claims (key TEXT PRIMARY KEY, token TEXT NOT NULL, until INTEGER NOT NULL)'));
  return {
    async claim(key, ttlMs) {
      await table();
      const token = randomUUID();
      const t = Date.now();
      await db.query(
        'INSERT INTO synth_claims (key, token, until) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET token = excluded.token, until = excluded.until WHERE synth_claims.until <= ?',
        key,
        token,
        t + ttlMs,
        t,
      );
      const rows = (await db.query('SELECT token FROM synth_claims WHERE key = ?', key)) as { token: string }[];
      return rows[0]?.token === token;
    },
    async unclaim(key) {
      await table();
      await db.query('DELETE FROM synth_claims WHERE key = ?', key);
    },
    async ping() {
      await db.query('SELECT 1');
    },
  };
}

interface RedisLike {
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<string | null>;
  del(key: string): Promise<number>;
  ping(): Promise<string>;
}

/** In Redis: `SET key token NX PX ttl`. */
function redisClaimer(client: () => Promise<RedisLike>): Claimer {
  const prefix = 'synth:claim:';
  return {
    async claim(key, ttlMs) {
      return (await (await client()).set(prefix + key, '1', { NX: true, PX: Math.max(1, Math.round(ttlMs)) })) === 'OK';
    },
    async unclaim(key) {
      await (await client()).del(prefix + key);
    },
    async ping() {
      await (await client()).ping();
    },
  };
}

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
  const kind: StoreKind = url === 'memory://' ? 'memory' : url.startsWith('sqlite://') ? 'sqlite' : 'redis';
  const first = adapters[0];
  const claimer =
    kind === 'sqlite' && first
      ? sqliteClaimer(first as unknown as SqlQuery)
      : kind === 'redis' && first
        ? redisClaimer(() => (first as unknown as { getClient(): Promise<RedisLike> }).getClient())
        : memoryClaimer();
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
    kind,
    claim: (key, ttlMs) => claimer.claim(key, ttlMs),
    unclaim: (key) => claimer.unclaim(key),
    ping: () => claimer.ping(),
    async close() {
      await Promise.all(instances.map((k) => k.disconnect().catch(() => undefined)));
    },
  };
}

async function openAdapters(url: string, options: StoreOptions): Promise<(KeyvStoreAdapter | undefined)[]> {
  if (url === 'memory://') return NAMESPACES.map(() => undefined);
  if (url.startsWith('sqlite://')) return openSqlite(resolve(url.slice('sqlite://'.length)), options);
  if (/^rediss?:\/\//.test(url)) {
    return openRedis(url, options);
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

/**
 * Opens one `@keyv/redis` adapter per namespace on `url` and waits (at most `openTimeoutMs`) until each
 * answers a PING, so an unreachable Redis is one line at start naming STORE_URL (its password
 * masked), not a hang. Operations throw on errors (the adapter's default is to swallow them and return
 * nothing, which would read as "no such run").
 */
async function openRedis(url: string, options: StoreOptions): Promise<KeyvStoreAdapter[]> {
  const { default: KeyvRedis } = await import('@keyv/redis');
  const timeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const adapters = NAMESPACES.map(() => {
    const adapter = new KeyvRedis(url, { throwOnErrors: true, throwOnConnectError: true, connectionTimeout: timeoutMs });
    adapter.on('error', () => {
      // Surfaced on the awaited operation; an unhandled 'error' event would end the process.
    });
    return adapter;
  });
  const ready = Promise.all(adapters.map(async (adapter) => (await adapter.getClient()).ping()));
  try {
    await within(ready, timeoutMs, () => new Error(`no answer within ${timeoutMs / 1000} s`));
  } catch (error) {
    ready.catch(() => undefined);
    for (const adapter of adapters) void Promise.resolve(adapter.disconnect?.()).catch(() => undefined);
    throw storeError(`cannot reach Redis at ${maskUrlPassword(url)} (${(error as Error).message}). Start Redis, or point STORE_URL at sqlite://PATH.`, error);
  }
  return adapters as unknown as KeyvStoreAdapter[];
}
