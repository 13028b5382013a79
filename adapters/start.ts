/**
 * `npm start`: starts every chat adapter whose settings are present, over one core (one job runner,
 * one store). The web page is the embedded default: with no chat platform configured it is served
 * (http://127.0.0.1:3000); only when it is turned off too (`WEB_ENABLED=false`, `WEB_PORT=off`) does
 * `npm start` exit 1, naming the variables to set and pointing to the CLI.
 */
import { loadConfig } from '../src/config.js';
import { loadCorpora } from '../src/runtime.js';
import { createCore, type CoreOptions } from '../src/core.js';
import { asSynthError } from '../src/errors.js';
import { loadDotEnv } from '../src/env-file.js';
import { createLogger } from '../src/logger.js';
import { secretValues } from '../src/text/redact.js';
import type { AdapterModule, ChatAdapter } from './adapter.js';
import { ADAPTER_MODULES } from './modules.js';
import { guardProcess } from './process-guard.js';

/** Starts the configured adapters (and the embedded defaults that want to run beside them); resolves to a stop function. Throws when none is configured. */
export async function startAdapters(
  env: Record<string, string | undefined> = process.env,
  modules: readonly AdapterModule<never>[] = ADAPTER_MODULES,
  options: { core?: CoreOptions } = {},
): Promise<{ adapters: ChatAdapter[]; stop: (options?: { handBack?: boolean }) => Promise<void> }> {
  const config = loadConfig(env);
  const log = createLogger({ level: config.LOG_LEVEL, secrets: secretValues(env) });
  const load = (list: readonly AdapterModule<never>[], context?: { configured: readonly string[] }) =>
    list.map((module) => ({ module, settings: (module as AdapterModule<unknown>).loadConfig(env, context) })).filter((m) => m.settings !== undefined);
  const chatPlatforms = load(modules.filter((m) => !m.embeddedDefault));
  // The embedded defaults (the web page) are told which platforms are configured: alone they run, beside them as configured.
  const defaults = load(
    modules.filter((m) => m.embeddedDefault),
    { configured: chatPlatforms.map((m) => m.module.name) },
  );
  const configured = [...chatPlatforms, ...defaults];
  if (configured.length === 0) {
    const hint = modules.map((m) => `${m.name}: ${m.variables.join(', ')}`).join('; ');
    throw new Error(
      `No chat adapter is configured. Set the variables of at least one (${hint || 'none built'}) ` +
        'in the environment or .env (see .env.example), or use the CLI: npx synthesize "your question".',
    );
  }
  const core = await createCore(config, log, options.core);
  // The corpus index is built before any adapter listens (see loadCorpora). In the scale-out mode the
  // workers run the pipeline; the front end needs no index.
  if (!core.queue) await loadCorpora(core.runtime.sources, log);
  const adapters = configured.map(({ module, settings }) => (module as AdapterModule<unknown>).create(settings, core));
  for (const adapter of adapters) {
    await adapter.start();
    log.info({ adapter: adapter.name }, 'adapter started');
  }
  // Runs whose process stopped (a crash, a restart, another process on the same store that died) are
  // taken over once their lease has expired, now and then every third of a lease: their answer is
  // posted if it was ready, or their thread told they were interrupted, with Retry.
  const platforms = adapters.map((a) => a.name);
  let sweeping = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping.then(async () => {
      const taken = await core.runner.sweep(platforms);
      if (taken.length > 0) log.warn({ jobs: taken.map((j) => j.id) }, 'taking over runs a stopped process left unfinished');
      for (const adapter of adapters) {
        const mine = taken.filter((job) => job.origin.platform === adapter.name);
        if (mine.length > 0 && adapter.announceInterrupted) await adapter.announceInterrupted(mine);
      }
    }).catch((error: unknown) => log.error({ err: error }, 'could not take over unfinished runs'));
    return sweeping;
  };
  await sweep();
  const timer = setInterval(() => void sweep(), Math.max(50, Math.floor(core.runner.leaseMs / 3)));
  timer.unref();
  return {
    adapters,
    async stop(stopOptions = {}) {
      clearInterval(timer);
      await sweeping;
      // A graceful shutdown (SIGTERM) hands the runs back first: each stops where it is, its finished
      // stages checkpointed, its lease ended, and the next process resumes it; nothing is lost.
      if (stopOptions.handBack) await core.runner.close({ handBack: true });
      for (const adapter of adapters) await adapter.stop().catch((error: unknown) => log.error({ err: error }, 'adapter stop failed'));
      await core.close(stopOptions);
    },
  };
}

// Run when executed directly (`node dist/adapters/start.js`), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    loadDotEnv();
    const { adapters, stop } = await startAdapters();
    // Started: from here a stray rejection is logged, not the end of every run (see process-guard.ts).
    guardProcess(createLogger({ level: 'error', secrets: secretValues(process.env) }));
    for (const adapter of adapters) {
      const url = adapter.url?.();
      if (url) process.stderr.write(`synthesize bot: the ${adapter.name} page is at ${url}\n`);
    }
    const shutdown = () => {
      void stop({ handBack: true }).then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (error) {
    process.stderr.write(`synthesize bot: ${asSynthError(error).message}\n`);
    process.exit(1);
  }
}
