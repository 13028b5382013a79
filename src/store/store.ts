/**
 * Stores, on keyv: finished reports, job state and the sources' HTTP cache. `sqlite://PATH` (the
 * default; survives restarts), `memory://` (tests) or `redis://HOST:PORT` (several processes). The
 * SQLite and Redis adapters are loaded only when used.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { ConfigError, SynthError } from '../errors.js';
import type { Report } from '../model.js';
import type { JobRecord } from '../jobs/job.js';

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

/** Opens the stores named by `url` (see module doc). Fails with `config` naming STORE_URL when invalid. */
export async function createStores(url: string): Promise<Stores> {
  const adapters = await Promise.all(NAMESPACES.map(() => openAdapter(url)));
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

async function openAdapter(url: string): Promise<KeyvStoreAdapter | undefined> {
  if (url === 'memory://') return undefined;
  if (url.startsWith('sqlite://')) {
    const path = resolve(url.slice('sqlite://'.length));
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw new ConfigError('STORE_URL', `cannot create the directory for ${path}: ${(error as Error).message}`);
    }
    const { KeyvSqlite } = await import('@keyv/sqlite');
    return new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 5000 }) as unknown as KeyvStoreAdapter;
  }
  if (/^rediss?:\/\//.test(url)) {
    let mod: { default: new (url: string) => KeyvStoreAdapter };
    try {
      mod = (await import('@keyv/redis' as string)) as typeof mod;
    } catch (error) {
      throw new SynthError('config', 'STORE_URL: redis:// needs the optional package @keyv/redis (npm install @keyv/redis).', {
        cause: error,
      });
    }
    return new mod.default(url);
  }
  throw new ConfigError('STORE_URL', `must be sqlite://PATH, memory:// or redis://HOST:PORT (got "${url}").`);
}
