/**
 * `npm run worker`: a worker of the scale-out mode. It takes runs from the queue at `QUEUE_URL`, runs
 * the pipeline (sources, engine, corpus) with stage checkpoints in the shared `STORE_URL`, and
 * publishes their progress for the chat front end (`npm start` with the same two URLs) that follows
 * them. Start any number, on any machine. `SIGTERM` drains: running runs get `WORKER_DRAIN_MS` to
 * finish, then go back to the queue, checkpointed, for another worker to resume. With
 * `WORKER_HEALTH_PORT`, `GET /healthz` says the process is alive and `GET /readyz` whether it takes
 * runs (Redis answers, not draining).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.js';
import { createRunFunction } from './core.js';
import { asSynthError, ConfigError } from './errors.js';
import { loadDotEnv } from './env-file.js';
import { startWorker, type RunWorker } from './jobs/queue.js';
import { closeSharedLimits, configureSharedLimits } from './limits/shared.js';
import { createLogger, type Logger } from './logger.js';
import { createRuntime, loadCorpora, type Runtime } from './runtime.js';
import { createStores, type Stores } from './store/store.js';
import { secretValues } from './text/redact.js';

/** A started worker process's parts. */
export interface WorkerProcess {
  worker: RunWorker;
  /** The health server's port, when `WORKER_HEALTH_PORT` is set. */
  port?: number;
  /** Drains the worker, then closes the health server and the stores. */
  stop(): Promise<void>;
}

/** Options of {@link runWorker} (tests pass a runtime built over fakes). */
export interface RunWorkerOptions {
  runtime?: Runtime;
  log?: Logger;
}

/** Starts a worker from the environment. Throws a one-line error when it cannot. */
export async function runWorker(env: Record<string, string | undefined> = process.env, options: RunWorkerOptions = {}): Promise<WorkerProcess> {
  const config = loadConfig(env);
  if (!config.QUEUE_URL) throw new ConfigError('QUEUE_URL', 'is needed by a worker: set it to redis://HOST:PORT, the same for the bot (npm start) and every worker.');
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL, secrets: secretValues(env) });
  if (config.STORE_URL === 'memory://') throw new ConfigError('STORE_URL', 'memory:// cannot be shared with the bot; use redis://HOST:PORT (or sqlite://PATH when every process is on one machine).');
  const stores: Stores = await createStores(config.STORE_URL);
  let worker: RunWorker;
  try {
    // Before the runtime: the sources' rate limits and LLM_CONCURRENCY then hold across every worker.
    await configureSharedLimits({ redisUrl: config.QUEUE_URL });
    const runtime = options.runtime ?? createRuntime(config, log, {}, stores);
    await loadCorpora(runtime.sources, log);
    worker = await startWorker({
      url: config.QUEUE_URL,
      stores,
      synthesize: createRunFunction(stores, runtime, log),
      concurrency: config.SYNTH_MAX_CONCURRENT_RUNS,
      ...(config.SYNTH_MAX_RUNS_TOTAL !== undefined ? { maxRunsTotal: config.SYNTH_MAX_RUNS_TOTAL } : {}),
      lockMs: config.WORKER_LOCK_MS,
      drainMs: config.WORKER_DRAIN_MS,
      maxResumes: config.SYNTH_MAX_RESUMES,
      log,
    });
  } catch (error) {
    await closeSharedLimits();
    await stores.close();
    throw error;
  }
  let server: Server | undefined;
  if (config.WORKER_HEALTH_PORT !== undefined) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || (path !== '/healthz' && path !== '/readyz')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      void Promise.all([worker.ready(), stores.ping().then(() => 'ok', (e: unknown) => asSynthError(e).message)]).then(([ready, store]) => {
        const ok = ready.ok && store === 'ok';
        const body = JSON.stringify({ ok, queue: ready.ok ? 'ok' : ready.reason, store, running: worker.active() });
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((resolve) => server!.listen(config.WORKER_HEALTH_PORT, '127.0.0.1', resolve));
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
  let stopping: Promise<void> | undefined;
  return {
    worker,
    ...(port !== undefined ? { port } : {}),
    stop() {
      stopping ??= (async () => {
        // Readiness says "draining" while the runs finish; liveness stays up until the end.
        await worker.close();
        if (server) await new Promise((resolve) => server!.close(resolve));
        await closeSharedLimits();
        await stores.close();
      })();
      return stopping;
    },
  };
}

// Run when executed directly (`node dist/src/worker.js`), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    loadDotEnv();
    const started = await runWorker();
    process.stderr.write(`synthesize worker: taking runs${started.port !== undefined ? ` (health at http://127.0.0.1:${started.port}/healthz)` : ''}\n`);
    const shutdown = () => {
      void started.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (error) {
    process.stderr.write(`synthesize worker: ${asSynthError(error).message}\n`);
    process.exit(1);
  }
}
