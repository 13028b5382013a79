/**
 * The job runner the chat adapters use: start a run, follow its progress, cancel it, and fetch its
 * report later by id. Runs are queued under a concurrency limit; one user can have only a few runs
 * going; job state and reports are persisted so that a report can be fetched, and an interrupted job
 * found and retried, after a restart.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import { asSynthError, SynthError } from '../errors.js';
import type { ProgressEvent, ProgressListener } from '../events.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Report, RunRequest } from '../model.js';
import type { Synthesize } from '../pipeline/synthesize.js';
import type { Stores } from '../store/store.js';
import { sanitizeQuestion } from '../text/sanitize.js';
import { isFinished, type JobOrigin, type JobRecord } from './job.js';

const ACTIVE_INDEX = '__active__';
/** How many finished jobs keep their events in memory, for subscribers that arrive late. */
const RECENT_JOBS = 100;
/** How many events of a job are kept for late subscribers. */
const EVENT_HISTORY = 500;

/** Options of {@link createJobRunner}. */
export interface JobRunnerOptions {
  synthesize: Synthesize;
  stores: Pick<Stores, 'reports' | 'jobs'>;
  /** Runs executing at once; more wait in a queue (default 2). */
  maxConcurrent?: number;
  /** Runs one user may have queued or running (default 2). */
  maxPerUser?: number;
  /** How long reports and finished jobs are kept, in ms (default: for ever). */
  ttlMs?: number;
  log?: Logger;
  newId?: () => string;
}

/** A job handle returned by {@link JobRunner.start}. */
export interface JobHandle {
  id: string;
  /** Resolves with the report, or rejects with a `SynthError`. */
  done: Promise<Report>;
}

/** The runner. */
export interface JobRunner {
  /**
   * Queues a run. Throws `rate_limited` when the user already has `maxPerUser` runs going, and a
   * `usage` error for an invalid question (nothing is queued then).
   */
  start(request: RunRequest, origin: JobOrigin): Promise<JobHandle>;
  /**
   * Follows a job's events; past events are replayed first (also for a job that finished recently in
   * this process). Returns an unsubscribe function.
   */
  subscribe(jobId: string, listener: ProgressListener): () => void;
  /** Cancels a queued or running job; resolves false when it was not active. */
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
  getReport(reportId: string): Promise<Report | undefined>;
  /** Jobs of this user that are queued or running in this process. */
  activeFor(userId: string): string[];
  /**
   * Marks jobs that were queued or running when the process stopped as `interrupted` and returns
   * them, so adapters can tell their users and offer a retry. Call once at start-up.
   */
  recoverInterrupted(): Promise<JobRecord[]>;
  /** Waits for running jobs to settle (after cancelling them if asked). */
  close(options?: { cancel?: boolean }): Promise<void>;
}

interface LiveJob {
  record: JobRecord;
  controller: AbortController;
  events: ProgressEvent[];
  listeners: Set<ProgressListener>;
  done: Promise<Report>;
}

/** Creates a job runner over a `synthesize` function and stores. */
export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { synthesize, stores } = options;
  const log = options.log ?? silentLogger;
  const maxPerUser = options.maxPerUser ?? 2;
  const queue = new PQueue({ concurrency: options.maxConcurrent ?? 2 });
  const live = new Map<string, LiveJob>();
  const recent = new Map<string, LiveJob>();
  const newId = options.newId ?? randomUUID;

  const save = async (record: JobRecord) => {
    record.updatedAt = new Date().toISOString();
    await stores.jobs.set(record.id, record, isFinished(record.status) ? options.ttlMs : undefined);
  };
  // The index of active jobs is rewritten from memory, so concurrent updates never lose an entry.
  let indexWrite = Promise.resolve();
  const writeIndex = () => {
    indexWrite = indexWrite
      .then(() => stores.jobs.set(ACTIVE_INDEX, { ids: [...live.keys()] } as unknown as JobRecord))
      .then(() => undefined)
      .catch((error: unknown) => log.error({ err: error }, 'could not write the active job index'));
    return indexWrite;
  };

  const dispatch = (job: LiveJob, event: ProgressEvent) => {
    job.events.push(event);
    if (job.events.length > EVENT_HISTORY) job.events.splice(0, job.events.length - EVENT_HISTORY);
    for (const listener of [...job.listeners]) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => log.warn({ err: error }, 'job listener failed'));
      } catch (error) {
        log.warn({ err: error }, 'job listener failed');
      }
    }
  };

  const runner: JobRunner = {
    async start(request, origin) {
      const question = sanitizeQuestion(request.question);
      const active = runner.activeFor(origin.userId);
      if (active.length >= maxPerUser) {
        throw new SynthError(
          'rate_limited',
          `You already have ${active.length} synthesis run(s) in progress; wait for one to finish before starting another.`,
        );
      }
      const id = newId();
      const now = new Date().toISOString();
      const record: JobRecord = { id, status: 'queued', request: { ...request, question }, origin, createdAt: now, updatedAt: now };
      const controller = new AbortController();
      const job = { record, controller, events: [], listeners: new Set() } as unknown as LiveJob;
      live.set(id, job);
      await Promise.all([save(record), writeIndex()]);
      if (queue.size + queue.pending >= (queue.concurrency as number)) {
        dispatch(job, { type: 'run-queued', runId: id, elapsedMs: 0, position: queue.size + 1 });
      }
      job.done = queue
        .add(
          async () => {
            controller.signal.throwIfAborted();
            record.status = 'running';
            await save(record);
            const report = await synthesize(record.request, {
              runId: id,
              signal: controller.signal,
              onEvent: (event) => dispatch(job, event),
            });
            await stores.reports.set(report.id, report, options.ttlMs);
            record.status = 'succeeded';
            record.reportId = report.id;
            await save(record);
            return report;
          },
          { signal: controller.signal },
        )
        .catch(async (error: unknown) => {
          const failure = controller.signal.aborted ? new SynthError('cancelled', 'The run was cancelled.') : asSynthError(error);
          record.status = failure.code === 'cancelled' ? 'cancelled' : 'failed';
          record.error = { code: failure.code, message: failure.message };
          if (!job.events.some((e) => e.type === 'run-failed')) {
            dispatch(job, { type: 'run-failed', runId: id, elapsedMs: 0, code: failure.code, message: failure.message });
          }
          await save(record).catch((e: unknown) => log.error({ err: e }, 'could not save a failed job'));
          throw failure;
        })
        .finally(() => {
          live.delete(id);
          recent.set(id, job);
          if (recent.size > RECENT_JOBS) recent.delete(recent.keys().next().value!);
          void writeIndex();
        }) as Promise<Report>;
      // The caller may never await `done`; an unobserved rejection must not crash the process.
      job.done.catch(() => undefined);
      return { id, done: job.done };
    },

    subscribe(jobId, listener) {
      const job = live.get(jobId) ?? recent.get(jobId);
      if (!job) return () => undefined;
      for (const event of job.events) {
        try {
          void listener(event);
        } catch (error) {
          log.warn({ err: error }, 'job listener failed');
        }
      }
      job.listeners.add(listener);
      return () => job.listeners.delete(listener);
    },

    async cancel(jobId) {
      const job = live.get(jobId);
      if (!job) return false;
      job.controller.abort(new SynthError('cancelled', 'The run was cancelled.'));
      return true;
    },

    async get(jobId) {
      return live.get(jobId)?.record ?? (await stores.jobs.get(jobId));
    },

    async getReport(reportId) {
      return stores.reports.get(reportId);
    },

    activeFor(userId) {
      return [...live.values()].filter((j) => j.record.origin.userId === userId && !isFinished(j.record.status)).map((j) => j.record.id);
    },

    async recoverInterrupted() {
      const index = (await stores.jobs.get(ACTIVE_INDEX)) as unknown as { ids?: string[] } | undefined;
      const interrupted: JobRecord[] = [];
      for (const id of index?.ids ?? []) {
        if (live.has(id)) continue;
        const record = await stores.jobs.get(id);
        if (!record || isFinished(record.status)) continue;
        record.status = 'interrupted';
        record.error = { code: 'interrupted', message: 'The bot restarted while this run was in progress.' };
        await save(record);
        interrupted.push(record);
      }
      await writeIndex();
      return interrupted;
    },

    async close(closeOptions = {}) {
      if (closeOptions.cancel) for (const job of live.values()) job.controller.abort(new SynthError('cancelled', 'The bot is shutting down.'));
      await Promise.allSettled([...live.values()].map((j) => j.done));
      await indexWrite;
    },
  };
  return runner;
}
