import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AdapterModule, ChatAdapter } from '../../adapters/adapter.js';
import { startAdapters } from '../../adapters/start.js';
import { webAdapterModule } from '../../adapters/web/index.js';
import { ROOT } from '../helpers/paths.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import type { JobRecord } from '../../src/jobs/job.js';
import { createStores } from '../../src/store/store.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';

/** A module whose adapter records what `npm start` does with it. */
function fakeModule(name: string, enabledBy: string) {
  const seen = { started: 0, stopped: 0, announced: [] as JobRecord[] };
  const module: AdapterModule<{ on: true }> = {
    name,
    variables: [enabledBy],
    loadConfig: (env) => (env[enabledBy] ? { on: true } : undefined),
    create: (): ChatAdapter => ({
      name,
      start: async () => void seen.started++,
      stop: async () => void seen.stopped++,
      announceInterrupted: async (jobs) => void seen.announced.push(...jobs),
    }),
  };
  return { module: module as AdapterModule<never>, seen };
}

describe('npm start', () => {
  it('exits with the variables to set and a pointer to the CLI when no adapter is configured', async () => {
    const { module } = fakeModule('slack', 'SLACK_BOT_TOKEN');
    await expect(startAdapters({ STORE_URL: 'memory://' }, [module])).rejects.toThrow(
      /No chat adapter is configured\. Set the variables of at least one \(slack: SLACK_BOT_TOKEN\).*npx synthesize/,
    );
  });

  it('starts only the configured adapters and hands each the runs a restart left going, to resume', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'start-'));
    const url = `sqlite://${join(dir, 'store.sqlite')}`;
    // A previous process started two runs (one per platform) and died before they finished.
    const before = await createStores(url);
    const never: Synthesize = (_request, options) =>
      new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const runner = createJobRunner({ synthesize: never, stores: before, leaseMs: 60 });
    const alphaOrigin = { platform: 'alpha', asker: 'u1' };
    const betaOrigin = { platform: 'beta', asker: 'u2' };
    const a = await runner.start(runner.admit({ question: 'Does exercise help?' }, alphaOrigin), alphaOrigin);
    await runner.start(runner.admit({ question: 'Does sleep help?' }, betaOrigin), betaOrigin);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.close({ crash: true });
    await before.close();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const alpha = fakeModule('alpha', 'ALPHA_TOKEN');
    const beta = fakeModule('beta', 'BETA_TOKEN');
    const { adapters, stop } = await startAdapters({ STORE_URL: url, SYNTH_SOURCES: 'none', ALPHA_TOKEN: 'x', LOG_LEVEL: 'silent' }, [alpha.module, beta.module]);
    expect(adapters.map((x) => x.name)).toEqual(['alpha']);
    expect(alpha.seen.started).toBe(1);
    expect(beta.seen.started).toBe(0);
    expect(alpha.seen.announced.map((j) => [j.id, j.status, j.resumes])).toEqual([[a.id, 'running', 1]]);
    await stop();
    expect(alpha.seen.stopped).toBe(1);
  });
});

describe('npm start and the web page (the embedded default)', () => {
  const quiet = { STORE_URL: 'memory://', SYNTH_SOURCES: 'none', LOG_LEVEL: 'silent', WEB_PORT: '0' };

  it('serves the web page when no chat platform is configured', async () => {
    const { adapters, stop } = await startAdapters(quiet);
    try {
      expect(adapters.map((a) => a.name)).toEqual(['web']);
      const url = adapters[0]!.url!()!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Ask a research question');
    } finally {
      await stop();
    }
  });

  it('answers /healthz, and /readyz with the store and queue checks (503 when one fails)', async () => {
    const { adapters, stop } = await startAdapters(quiet);
    try {
      const base = adapters[0]!.url!()!;
      expect(await (await fetch(`${base}healthz`)).text()).toBe('ok');
      const ready = await fetch(`${base}readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ok: true, checks: { store: 'ok' } });
    } finally {
      await stop();
    }
    // A store that stops answering makes the process not ready.
    const stores = await createStores('memory://');
    const failing = { ...stores, ping: async () => Promise.reject(new Error('the store is gone')) };
    const started = await startAdapters(quiet, undefined, { core: { stores: failing } });
    try {
      const ready = await fetch(`${started.adapters[0]!.url!()!}readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ok: false, checks: { store: 'the store is gone' } });
    } finally {
      await started.stop();
      await stores.close();
    }
  });

  it('exits naming the variables when the web page is turned off too', async () => {
    for (const off of [{ WEB_ENABLED: 'false' }, { WEB_PORT: 'off' }]) {
      await expect(startAdapters({ ...quiet, ...off })).rejects.toThrow(/No chat adapter is configured\. .*web: WEB_ENABLED.*npx synthesize/);
    }
  });

  it('runs beside a chat platform only when PUBLIC_URL is set or WEB_ENABLED=true', async () => {
    const alpha = fakeModule('alpha', 'ALPHA_TOKEN');
    const modules = [alpha.module, webAdapterModule as AdapterModule<never>];
    for (const [extra, names] of [
      [{}, ['alpha']],
      [{ WEB_ENABLED: 'true' }, ['alpha', 'web']],
      [{ PUBLIC_URL: 'http://127.0.0.1:9', WEB_SECRET: 'x'.repeat(32) }, ['alpha', 'web']],
    ] as const) {
      const { adapters, stop } = await startAdapters({ ...quiet, ALPHA_TOKEN: 'x', ...extra }, modules);
      expect(adapters.map((a) => a.name)).toEqual(names);
      await stop();
    }
  });

  it('`npm start` with no settings prints where the page is, and the page answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'start-web-'));
    // A clean environment (no .env in this directory), a free port.
    const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'adapters', 'start.ts')], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, WEB_PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no page address in 20 s: ${stderr}`)), 20_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
          const found = /the web page is at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<form id="ask"');
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
