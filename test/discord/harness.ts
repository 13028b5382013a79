/**
 * Test harness: the loopback Discord fake, a core over memory stores with a given `synthesize` (a
 * scripted one or the real pipeline over a corpus), and the real Discord adapter (discord.js
 * `Client`) connected to the fake through `DISCORD_API_URL`. Logs are captured to check for secrets.
 */
import { Writable } from 'node:stream';
import { createDiscordAdapter, type DiscordAdapter, type DiscordAdapterOptions } from '../../adapters/discord/index.js';
import { loadDiscordConfig } from '../../adapters/discord/config.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import { createLogger } from '../../src/logger.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import type { Runtime } from '../../src/runtime.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './fake-discord.js';
import { afterEach, beforeAll } from 'vitest';
import { createSpecValidator, type SpecValidator } from './fake-validate.js';

/** A running harness. */
export interface Harness {
  fake: FakeDiscord;
  core: Core;
  adapter: DiscordAdapter;
  /** Everything logged so far (JSON lines). */
  logs(): string;
  close(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  synthesize?: Synthesize;
  runtime?: Runtime;
  fake?: FakeDiscordOptions;
  adapter?: DiscordAdapterOptions;
  validator?: SpecValidator;
  env?: Record<string, string>;
  /** Share stores across harnesses (a restart); they are then not closed by `close`. */
  stores?: Stores;
  /** The runs' lease (default: the core's). */
  leaseMs?: number;
}

/** Starts fake, core and adapter; resolves once the client is ready. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeDiscord({ ...options.fake, ...(options.validator ? { validator: options.validator } : {}) });
  let logged = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  const config = loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none', ...options.env });
  const log = createLogger({ level: 'debug', destination });
  const stores = options.stores ?? (await createStores('memory://'));
  const runtime: Runtime = options.runtime ?? { synthesize: options.synthesize!, engine: createExtractiveEngine(), sources: [], skipped: [] };
  const core = await createCore(config, log, { stores, runtime, ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}) });
  const discordConfig = loadDiscordConfig({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: fake.apiUrl })!;
  const adapter = createDiscordAdapter(discordConfig, core, { progressIntervalMs: 40, readyTimeoutMs: 10_000, ...options.adapter });
  await adapter.start();
  return {
    fake,
    core,
    adapter,
    logs: () => logged,
    async close() {
      await adapter.stop();
      await core.close();
      if (!options.stores) await stores.close();
      await fake.close();
    },
  };
}

/**
 * For a test file: returns a `harness()` that starts harnesses validated against the OpenAPI spec
 * (built once per file) and closes each after its test.
 */
export function useHarnesses(): (options?: HarnessOptions) => Promise<Harness> {
  let validator: SpecValidator | undefined;
  const open: Harness[] = [];
  beforeAll(() => {
    validator = createSpecValidator();
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  return async (options = {}) => {
    const h = await startHarness({ ...(validator ? { validator } : {}), ...options });
    open.push(h);
    return h;
  };
}
