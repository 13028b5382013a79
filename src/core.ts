/**
 * The core as the chat adapters see it: configuration, logger, stores, the runtime built from the
 * configuration and the job runner over it. `createCore` is called once per process.
 */
import type { CoreConfig } from './config.js';
import { createJobRunner, type JobRunner } from './jobs/runner.js';
import type { Logger } from './logger.js';
import { createRuntime, type Runtime } from './runtime.js';
import { createStores, type Stores } from './store/store.js';

/** Everything an adapter needs from the core. */
export interface Core {
  config: CoreConfig;
  log: Logger;
  stores: Stores;
  runtime: Runtime;
  runner: JobRunner;
  /** Stops accepting work, cancels running jobs and closes the stores. */
  close(): Promise<void>;
}

/** Options of {@link createCore}. */
export interface CoreOptions {
  /** Use these stores instead of opening `STORE_URL` (tests pass memory stores). */
  stores?: Stores;
  /** Use this runtime instead of building one from the configuration (tests pass fakes). */
  runtime?: Runtime;
  /** The runs' lease (default 15 s; tests shorten it). */
  leaseMs?: number;
}

/** Creates the core from configuration. */
export async function createCore(config: CoreConfig, log: Logger, options: CoreOptions = {}): Promise<Core> {
  const stores = options.stores ?? (await createStores(config.STORE_URL));
  const runtime = options.runtime ?? createRuntime(config, log, {}, stores);
  const runner = createJobRunner({
    synthesize: runtime.synthesize,
    stores,
    maxConcurrent: config.SYNTH_MAX_CONCURRENT_RUNS,
    maxPerUser: config.SYNTH_MAX_RUNS_PER_USER,
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    log,
  });
  return {
    config,
    log,
    stores,
    runtime,
    runner,
    async close() {
      await runner.close({ cancel: true });
      if (!options.stores) await stores.close();
    },
  };
}
