/**
 * The core as the chat adapters see it: configuration, logger, stores, the runtime built from the
 * configuration and the job runner over it. `createCore` is called once per process.
 */
import type { CoreConfig } from './config.js';
import { asSynthError, ConfigError, SynthError } from './errors.js';
import { connectQueue, type QueueClient } from './jobs/queue.js';
import { createJobRunner, type JobRunner } from './jobs/runner.js';
import { addPaper, describeChanges } from './pipeline/add-paper.js';
import { followUp } from './pipeline/followup.js';
import { lookupPaper } from './sources/lookup.js';
import type { Synthesize } from './pipeline/synthesize.js';
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
  /** The queue the runs go to when `QUEUE_URL` is set (the scale-out mode); absent in the embedded mode. */
  queue?: QueueClient;
  /** Readiness: the store answers, and the queue's Redis when there is one. */
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  /**
   * Stops accepting work and closes the stores. Running jobs are cancelled, or with `handBack` (a
   * graceful shutdown) stopped where they are and left for the next process to resume.
   */
  close(options?: { handBack?: boolean }): Promise<void>;
}

/** Options of {@link createCore}. */
export interface CoreOptions {
  /** Use these stores instead of opening `STORE_URL` (tests pass memory stores). */
  stores?: Stores;
  /** Use this runtime instead of building one from the configuration (tests pass fakes). */
  runtime?: Runtime;
  /** The runs' lease (default 15 s; tests shorten it). */
  leaseMs?: number;
  /** How often a run whose process stopped is resumed before it is given up (default `SYNTH_MAX_RESUMES`). */
  maxResumes?: number;
  /** How often a followed run's outcome is polled on the queue (default 1 s; tests shorten it). */
  queuePollMs?: number;
}

/**
 * The run function behind every run, in this process or on a worker: a question is a synthesis; a
 * follow-up in a run's thread is answered from that run's report (its papers first, then the
 * configured sources when they do not answer it); `add <id>` re-runs the question with the paper in.
 */
export function createRunFunction(stores: Pick<Stores, 'reports'>, runtime: Runtime, log: Logger): Synthesize {
  return async (request, runOptions = {}) => {
    if (request.addTo) {
      // `add <id>` in a thread: look the paper up, then re-run the report's question with it included.
      const report = await stores.reports.get(request.addTo.of);
      if (!report) throw new SynthError('usage', 'The report this thread discussed is no longer stored, so a paper cannot be added to it. Ask the question again.');
      const found = await lookupPaper(request.addTo.id, runtime.sources, { ...(runOptions.signal ? { signal: runOptions.signal } : {}), log });
      if (found.status === 'not-found') throw new SynthError('not_found', found.message);
      if (found.status === 'failed') throw new SynthError('all_sources_failed', found.message);
      const added = await addPaper(report, found.paper, {
        engine: runtime.engine,
        requested: request.addTo.id,
        source: found.source,
        log,
        ...(runOptions.runId ? { runId: runOptions.runId } : {}),
        ...(runOptions.onEvent ? { onEvent: runOptions.onEvent } : {}),
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
      });
      const changes = describeChanges(added.diff);
      // addPaper returns the report it was given when nothing changed (the paper had no abstract, or was off the topic).
      if (added.report.id !== report.id && added.report.addition) return { ...added.report, addition: { ...added.report.addition, changes } };
      // Nothing changed (no abstract, off the topic): the thread still gets its answer, saying so, as a run of its own.
      const { feedback: _feedback, followUp: _followUp, revision: _revision, ...unchanged } = report;
      return {
        ...unchanged,
        id: runOptions.runId ?? report.id,
        createdAt: new Date().toISOString(),
        addition: { of: report.id, paper: found.paper.id, requested: request.addTo.id, source: found.source, changes },
      };
    }
    if (!request.followUpOf) {
      const { revisionOf, ...plain } = request;
      const report = await runtime.synthesize(plain, runOptions);
      return revisionOf ? { ...report, revision: revisionOf } : report;
    }
    const report = await stores.reports.get(request.followUpOf);
    if (!report) throw new SynthError('usage', 'The report this thread discussed is no longer stored, so the follow-up cannot be read in its context. Ask the question again.');
    const result = await followUp(report, request.question, {
      engine: runtime.engine,
      widen: runtime.synthesize,
      log,
      ...(request.maxClaims !== undefined ? { maxClaims: request.maxClaims } : {}),
      ...(runOptions.runId ? { runId: runOptions.runId } : {}),
      ...(runOptions.onEvent ? { onEvent: runOptions.onEvent } : {}),
      ...(runOptions.signal ? { signal: runOptions.signal } : {}),
    });
    return result.report;
  };
}

/** Creates the core from configuration. */
export async function createCore(config: CoreConfig, log: Logger, options: CoreOptions = {}): Promise<Core> {
  const stores = options.stores ?? (await createStores(config.STORE_URL));
  const runtime = options.runtime ?? createRuntime(config, log, {}, stores);
  const synthesize = createRunFunction(stores, runtime, log);
  let queue: QueueClient | undefined;
  if (config.QUEUE_URL) {
    // The scale-out mode: runs go to the workers (`npm run worker`); this process follows them.
    try {
      if (stores.kind === 'memory') throw new ConfigError('STORE_URL', 'memory:// cannot be shared with workers; with QUEUE_URL set, use redis://HOST:PORT (or sqlite://PATH when every process is on one machine).');
      queue = await connectQueue({ url: config.QUEUE_URL, stores, log, ...(options.queuePollMs !== undefined ? { pollMs: options.queuePollMs } : {}) });
    } catch (error) {
      if (!options.stores) await stores.close();
      throw error;
    }
  }
  const runner = createJobRunner({
    synthesize,
    stores,
    maxConcurrent: config.SYNTH_MAX_CONCURRENT_RUNS,
    maxPerUser: config.SYNTH_MAX_RUNS_PER_USER,
    maxResumes: options.maxResumes ?? config.SYNTH_MAX_RESUMES,
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(queue ? { executor: queue.executor, userSlots: queue.userSlots } : {}),
    log,
  });
  return {
    config,
    log,
    stores,
    runtime,
    runner,
    ...(queue ? { queue } : {}),
    async ready() {
      const checks: Record<string, string> = {};
      const check = async (name: string, probe: () => Promise<void>) => {
        try {
          await probe();
          checks[name] = 'ok';
        } catch (error) {
          checks[name] = asSynthError(error).message;
        }
      };
      await Promise.all([check('store', () => stores.ping()), ...(queue ? [check('queue', () => queue.ping())] : [])]);
      return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
    },
    async close(closeOptions = {}) {
      await runner.close(closeOptions.handBack ? { handBack: true } : { cancel: true });
      await queue?.close();
      if (!options.stores) await stores.close();
    },
  };
}
