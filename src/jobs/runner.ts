/**
 * The job runner the chat adapters use: admit a request, start the run and follow its events, cancel it, and fetch its
 * report later by id. Runs are queued under a concurrency limit; one user can have only a few runs
 * going; job state and reports are persisted so that a report can be fetched, and an interrupted job
 * found and retried, after a restart.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import { asSynthError, SynthError } from '../errors.js';
import type { ProgressEvent, ProgressListener } from '../events.js';
import { silentLogger, type Logger } from '../logger.js';
import { RunRequestSchema, type Report, type RunRequest } from '../model.js';
import type { Synthesize } from '../pipeline/synthesize.js';
import type { Stores } from '../store/store.js';
import { sanitizeQuestion } from '../text/sanitize.js';
import { isFinished, readOrigin, type JobRecord, type RunOrigin } from './job.js';

const ACTIVE_INDEX = '__active__';

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

/**
 * A place in the per-user limit, taken synchronously by {@link JobRunner.admit} (so two requests that
 * arrive together cannot both pass) and turned into a run by {@link JobRunner.start}, or given back
 * with `release` when the request is abandoned before it starts.
 */
export interface Admission {
  /** The request, its question cleaned once here. */
  readonly request: RunRequest;
  readonly platform: string;
  readonly asker: string;
  /** Gives the place back; does nothing once the run has started or the place was released. */
  release(): void;
}

/** A started run. */
export interface Run {
  id: string;
  request: RunRequest;
  origin: RunOrigin;
  /** Resolves with the report, or rejects with a `SynthError`. */
  done: Promise<Report>;
}

/** @deprecated The old name of {@link Run}. */
export type JobHandle = Run;

/** The runner. */
export interface JobRunner {
  /**
   * The one admission point: cleans and checks the question and the request, and takes a place in the
   * asker's limit. Synchronous, so a chat adapter can answer within its acknowledgement deadline.
   * Throws a `usage` error for an invalid request and `rate_limited` when the asker already has
   * `maxPerUser` runs going (the message says so in words a user can read).
   */
  admit(request: RunRequest, who: { platform: string; asker: string }): Admission;
  /**
   * Starts an admitted run. Every event of the run goes to `onEvent`, from the first (nothing is
   * buffered for later listeners: the caller that starts a run follows it).
   */
  start(admission: Admission, origin: RunOrigin, onEvent?: ProgressListener): Promise<Run>;
  /** Cancels a queued or running job; resolves false when it was not active. */
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
  getReport(reportId: string): Promise<Report | undefined>;
  /** Jobs of this user that are queued or running in this process (of one platform when given). */
  activeFor(asker: string, platform?: string): string[];
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
  onEvent: ProgressListener | undefined;
  done: Promise<Report>;
}

/** The words of the per-user limit, said the same way on every platform. */
export function waitMessage(active: number): string {
  return `You already have ${active} synthesis run${active === 1 ? '' : 's'} in progress. Wait for one to finish, then ask again.`;
}

/** Creates a job runner over a `synthesize` function and stores. */
export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { synthesize, stores } = options;
  const log = options.log ?? silentLogger;
  const maxPerUser = options.maxPerUser ?? 2;
  const queue = new PQueue({ concurrency: options.maxConcurrent ?? 2 });
  const live = new Map<string, LiveJob>();
  /** Places taken by admissions not yet started, per `platform:asker`. */
  const reserved = new Map<string, number>();
  const newId = options.newId ?? randomUUID;
  const userKey = (platform: string, asker: string) => `${platform}:${asker}`;
  const started = new WeakSet<Admission>();

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
    if (!job.onEvent) return;
    try {
      const result = job.onEvent(event);
      if (result instanceof Promise) result.catch((error: unknown) => log.warn({ err: error }, 'job listener failed'));
    } catch (error) {
      log.warn({ err: error }, 'job listener failed');
    }
  };

  const liveCount = (platform: string, asker: string) =>
    [...live.values()].filter((j) => j.record.origin.platform === platform && j.record.origin.asker === asker && !isFinished(j.record.status)).length;

  const runner: JobRunner = {
    admit(request, who) {
      const parsed = RunRequestSchema.safeParse(request);
      if (!parsed.success) throw new SynthError('usage', `The request could not be used: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
      const question = sanitizeQuestion(parsed.data.question);
      const { yearFrom, yearTo } = parsed.data;
      if (yearFrom !== undefined && yearTo !== undefined && yearFrom > yearTo) {
        throw new SynthError('usage', `The year range starts (${yearFrom}) after it ends (${yearTo}); swap the years or leave one out.`);
      }
      const key = userKey(who.platform, who.asker);
      const active = liveCount(who.platform, who.asker) + (reserved.get(key) ?? 0);
      if (active >= maxPerUser) throw new SynthError('rate_limited', waitMessage(active));
      reserved.set(key, (reserved.get(key) ?? 0) + 1);
      let held = true;
      return {
        request: { ...parsed.data, question },
        platform: who.platform,
        asker: who.asker,
        release() {
          if (!held) return;
          held = false;
          const left = (reserved.get(key) ?? 1) - 1;
          if (left > 0) reserved.set(key, left);
          else reserved.delete(key);
        },
      };
    },

    async start(admission, origin, onEvent) {
      if (origin.platform !== admission.platform || origin.asker !== admission.asker) {
        throw new SynthError('internal', 'A run must start for the asker it was admitted for.');
      }
      if (started.has(admission)) throw new SynthError('internal', 'An admission starts one run only.');
      started.add(admission);
      const id = newId();
      const now = new Date().toISOString();
      const record: JobRecord = { id, status: 'queued', request: admission.request, origin, createdAt: now, updatedAt: now };
      const controller = new AbortController();
      const job = { record, controller, onEvent } as LiveJob;
      // The admission's place becomes the live job's: the count never drops between the two.
      live.set(id, job);
      admission.release();
      try {
        await Promise.all([save(record), writeIndex()]);
      } catch (error) {
        live.delete(id);
        void writeIndex();
        throw asSynthError(error);
      }
      if (queue.size + queue.pending >= (queue.concurrency as number)) {
        dispatch(job, { type: 'run-queued', runId: id, elapsedMs: 0, position: queue.size + 1 });
      }
      let failedEvent = false;
      job.done = queue
        .add(
          async () => {
            controller.signal.throwIfAborted();
            record.status = 'running';
            await save(record);
            const report = await synthesize(record.request, {
              runId: id,
              signal: controller.signal,
              onEvent: (event) => {
                if (event.type === 'run-failed') failedEvent = true;
                dispatch(job, event);
              },
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
          if (!failedEvent) dispatch(job, { type: 'run-failed', runId: id, elapsedMs: 0, code: failure.code, message: failure.message });
          await save(record).catch((e: unknown) => log.error({ err: e }, 'could not save a failed job'));
          throw failure;
        })
        .finally(() => {
          live.delete(id);
          void writeIndex();
        }) as Promise<Report>;
      // The caller may never await `done`; an unobserved rejection must not crash the process.
      job.done.catch(() => undefined);
      return { id, request: record.request, origin, done: job.done };
    },

    async cancel(jobId) {
      const job = live.get(jobId);
      if (!job) return false;
      job.controller.abort(new SynthError('cancelled', 'The run was cancelled.'));
      return true;
    },

    async get(jobId) {
      const record = live.get(jobId)?.record ?? (await stores.jobs.get(jobId));
      return record ? { ...record, origin: readOrigin(record.origin as unknown as Record<string, unknown>) } : undefined;
    },

    async getReport(reportId) {
      return stores.reports.get(reportId);
    },

    activeFor(asker, platform) {
      return [...live.values()]
        .filter((j) => j.record.origin.asker === asker && (platform === undefined || j.record.origin.platform === platform) && !isFinished(j.record.status))
        .map((j) => j.record.id);
    },

    async recoverInterrupted() {
      const index = (await stores.jobs.get(ACTIVE_INDEX)) as unknown as { ids?: string[] } | undefined;
      const interrupted: JobRecord[] = [];
      for (const id of index?.ids ?? []) {
        if (live.has(id)) continue;
        const record = await stores.jobs.get(id);
        if (!record || isFinished(record.status)) continue;
        record.origin = readOrigin(record.origin as unknown as Record<string, unknown>);
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
