/**
 * `npm start`: starts every chat adapter whose settings are present, over one core (one job runner,
 * one store). With none configured it exits 1 naming the variables to set and pointing to the CLI.
 */
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { asSynthError } from '../src/errors.js';
import { loadDotEnv } from '../src/env-file.js';
import { createLogger } from '../src/logger.js';
import type { AdapterModule, ChatAdapter } from './adapter.js';
import { ADAPTER_MODULES } from './modules.js';

/** Starts the configured adapters; resolves to a stop function. Throws when none is configured. */
export async function startAdapters(
  env: Record<string, string | undefined> = process.env,
  modules: readonly AdapterModule<never>[] = ADAPTER_MODULES,
): Promise<{ adapters: ChatAdapter[]; stop: () => Promise<void> }> {
  const config = loadConfig(env);
  const log = createLogger({ level: config.LOG_LEVEL });
  const configured = modules
    .map((module) => ({ module, settings: (module as AdapterModule<unknown>).loadConfig(env) }))
    .filter((m) => m.settings !== undefined);
  if (configured.length === 0) {
    const hint = modules.map((m) => `${m.name}: ${m.variables.join(', ')}`).join('; ');
    throw new Error(
      `No chat adapter is configured. Set the variables of at least one (${hint || 'none built'}) ` +
        'in the environment or .env (see .env.example), or use the CLI: npx synthesize "your question".',
    );
  }
  const core = await createCore(config, log);
  const interrupted = await core.runner.recoverInterrupted();
  if (interrupted.length > 0) log.warn({ jobs: interrupted.map((j) => j.id) }, 'runs interrupted by the last restart');
  const adapters = configured.map(({ module, settings }) => (module as AdapterModule<unknown>).create(settings, core));
  for (const adapter of adapters) {
    await adapter.start();
    log.info({ adapter: adapter.name }, 'adapter started');
    const mine = interrupted.filter((job) => job.origin.platform === adapter.name);
    if (mine.length > 0 && adapter.announceInterrupted) {
      await adapter.announceInterrupted(mine).catch((error: unknown) => log.error({ err: error }, 'could not announce interrupted runs'));
    }
  }
  return {
    adapters,
    async stop() {
      for (const adapter of adapters) await adapter.stop().catch((error: unknown) => log.error({ err: error }, 'adapter stop failed'));
      await core.close();
    },
  };
}

// Run when executed directly (`node dist/adapters/start.js`), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    loadDotEnv();
    const { stop } = await startAdapters();
    const shutdown = () => {
      void stop().then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (error) {
    process.stderr.write(`synthesize bot: ${asSynthError(error).message}\n`);
    process.exit(1);
  }
}
