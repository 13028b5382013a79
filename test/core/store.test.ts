/**
 * Issue 12: a `STORE_URL` that cannot be opened. An SQLite path that is a directory, under /proc, in
 * a directory that cannot be created, or a file that is not a database gave an uncaught
 * SQLITE_CANTOPEN rejection (a stack trace, the process gone) or a hang. Now each is one clear error
 * naming STORE_URL and the path, within a bounded time; and a mistyped URL never echoes its password.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KeyvStoreAdapter } from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterModule } from '../../adapters/adapter.js';
import { startAdapters } from '../../adapters/start.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError, SynthError } from '../../src/errors.js';
import { createStores } from '../../src/store/store.js';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

let dir: string;
const unhandled: unknown[] = [];
const record = (reason: unknown) => void unhandled.push(reason);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synth-store-'));
  unhandled.length = 0;
  process.on('unhandledRejection', record);
});
afterEach(async () => {
  process.off('unhandledRejection', record);
  await rm(dir, { recursive: true, force: true });
});

/** The error `createStores` rejects with, and how long it took. */
async function openFailure(url: string, options?: Parameters<typeof createStores>[1]): Promise<{ error: SynthError; ms: number }> {
  const t0 = performance.now();
  const error = await createStores(url, options).then(
    async (stores) => {
      await stores.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error, `${url} should not open`).toBeInstanceOf(SynthError);
  // Let a stray rejection of the SQLite driver surface before checking there was none.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(unhandled).toEqual([]);
  return { error: error as SynthError, ms: performance.now() - t0 };
}

describe('an SQLite STORE_URL that cannot be opened', () => {
  it('says so for a directory, naming STORE_URL and the path', async () => {
    const { error } = await openFailure(`sqlite://${dir}`);
    expect(error.code).toBe('store');
    expect(error.message).toMatch(new RegExp(`^STORE_URL: ${dir} is a directory`));
  });

  it.each([
    ['a path under /proc', '/proc/self/x.sqlite'],
    ['a directory that cannot be created', '/proc/self/no-such-dir/x.sqlite'],
    ['a path under a file', 'FILE/x.sqlite'],
  ])('says so for %s, quickly', async (_name, template) => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const path = template.replace('FILE', file);
    const { error, ms } = await openFailure(`sqlite://${path}`);
    expect(error.code).toBe('store');
    expect(error.message).toContain('STORE_URL: ');
    expect(error.message).toContain(path);
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(ms).toBeLessThan(5000);
  });

  it('says so for a file that is not an SQLite database, and leaves the file alone', async () => {
    const path = join(dir, 'README.md');
    await writeFile(path, '# Not a database\n'.repeat(200));
    const { error } = await openFailure(`sqlite://${path}`);
    expect(error.message).toMatch(/STORE_URL: cannot use .*README\.md as an SQLite database/);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(path, 'utf8')).toBe('# Not a database\n'.repeat(200));
  });

  it('gives up after a bounded time when the database never opens', async () => {
    const hanging = () => ({ query: () => new Promise(() => undefined) }) as unknown as KeyvStoreAdapter;
    const { error, ms } = await openFailure(`sqlite://${join(dir, 'store.sqlite')}`, { openTimeoutMs: 200, openSqlite: hanging });
    expect(error.message).toMatch(/STORE_URL: the SQLite database at .*store\.sqlite did not open within 0\.2 s/);
    expect(ms).toBeLessThan(2000);
  });

  it('still opens a good path, creating its directory', async () => {
    const stores = await createStores(`sqlite://${join(dir, 'a', 'b', 'store.sqlite')}`);
    await stores.state.set('k', 'v');
    expect(await stores.state.get('k')).toBe('v');
    await stores.close();
  });

  it('makes the CLI exit 1 with one line, no stack trace', async () => {
    const cli = await runCli(['--sources', 'openalex', 'Does vitamin D reduce fracture risk?'], {
      STORE_URL: 'sqlite:///proc/self/x.sqlite',
      OPENALEX_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
    });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^synthesize: STORE_URL: cannot open the SQLite database at \/proc\/self\/x\.sqlite/);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });

  it('makes npm start fail with the message', async () => {
    const module: AdapterModule<{ on: true }> = {
      name: 'alpha',
      variables: ['ALPHA_TOKEN'],
      loadConfig: () => ({ on: true }),
      create: () => ({ name: 'alpha', start: async () => undefined, stop: async () => undefined }),
    };
    await expect(startAdapters({ STORE_URL: `sqlite://${dir}`, SYNTH_SOURCES: 'none', LOG_LEVEL: 'silent' }, [module as AdapterModule<never>])).rejects.toThrow(
      `STORE_URL: ${dir} is a directory`,
    );
  });

  it('makes `npm start` exit 1 printing the message (the real entry point)', () => {
    const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const result = spawnSync(process.execPath, ['--import', tsx, join(ROOT, 'adapters', 'start.ts')], {
      cwd: dir,
      env: { PATH: process.env.PATH, STORE_URL: 'sqlite:///proc/self/x.sqlite', SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^synthesize bot: STORE_URL: cannot open the SQLite database at \/proc\/self\/x\.sqlite/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a mistyped STORE_URL', () => {
  const failure = (url: string) => {
    try {
      loadConfig({ STORE_URL: url });
    } catch (error) {
      return error as ConfigError;
    }
    throw new Error(`${url} was accepted`);
  };

  it.each([
    ['redis://user:hunter2@host:notaport', /STORE_URL: .*port/],
    ['redis:/user:hunter2@host', /STORE_URL: must be sqlite:\/\/PATH, memory:\/\/ or redis:\/\/HOST:PORT/],
    ['sqlite:///no/such/dir/x.sqlite?password=hunter2', /STORE_URL: .*no \?query/],
    ['postgres://admin:hunter2@db:5432/x', /STORE_URL: must be sqlite:\/\/PATH/],
  ])('fails on %s without echoing the password', (url, message) => {
    const error = failure(url);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('hunter2');
  });

  it('keeps the password out of the CLI usage error', async () => {
    const cli = await runCli(['--sources', 'openalex', 'Does vitamin D reduce fracture risk?'], { STORE_URL: 'redis://user:hunter2@host:notaport' });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('STORE_URL');
    expect(cli.stderr).not.toContain('hunter2');
  });
});
