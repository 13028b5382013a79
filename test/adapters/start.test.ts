import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AdapterModule, ChatAdapter } from '../../adapters/adapter.js';
import { startAdapters } from '../../adapters/start.js';
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

  it('starts only the configured adapters and tells each about its runs a restart interrupted', async () => {
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
    expect(alpha.seen.announced.map((j) => [j.id, j.status])).toEqual([[a.id, 'interrupted']]);
    await stop();
    expect(alpha.seen.stopped).toBe(1);
  });
});
