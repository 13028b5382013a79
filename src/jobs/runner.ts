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
import { hostname } from 'node:os';
import { clearCheckpoints, storeCheckpoints } from './checkpoints.js';
import { isFinished, readOrigin, type Delivery, type JobRecord, type RunOrigin } from './job.js';

/**
 * Runs a job's pipeline to its report: in this process (the embedded default) or on BullMQ workers
 * (`QUEUE_URL`, see `queue.ts`). Either way the report is saved in the store before `execute` resolves.
 */
export interface RunExecutor {
  /**
   * Runs (or has a worker run, and follows) `job`. `onStart` is called when it starts running; events
   * go to `onEvent`. An abort of `signal` with a {@link HandedBack} reason stops following without
   * cancelling (the process is shutting down; another takes the run over); any other abort cancels.
   */
  execute(job: { id: string; request: RunRequest }, ctx: ExecuteContext): Promise<Report>;
  /** Runs ahead of a new one in this process's queue, when it has to wait (undefined: no wait known). */
  waiting?(): number | undefined;
  /** Stops taking work; does not wait for runs (the runner does). */
  close?(): Promise<void>;
}

/** What {@link RunExecutor.execute} is given. */
export interface ExecuteContext {
  signal: AbortSignal;
  onEvent: ProgressListener;
  onStart(): void;
}

/**
 * The reason a run stops when its process hands it back (a graceful shutdown): not a failure, not a
 * cancel. Its record is left going with an expired lease, and the next process to sweep resumes it
 * from its checkpoints.
 */
export class HandedBack extends SynthError {
  constructor() {
    super('interrupted', 'The bot is shutting down; the run continues in another process.');
  }
}

/** True for the reason of a handed-back run. */
export const isHandedBack = (error: unknown): error is HandedBack => error instanceof HandedBack;


/** Options of {@link createJobRunner}. */
export interface JobRunnerOptions {
  synthesize: Synthesize;
  stores: Pick<Stores, 'reports' | 'jobs' | 'state'>;
  /** Runs executing at once; more wait in a queue (default 2). */
  maxConcurrent?: number;
  /** Runs one user may have queued or running (default 2). */
  maxPerUser?: number;
  /** How long reports and finished jobs are kept, in ms (default: for ever). */
  ttlMs?: number;
  /**
   * How long a run's lease lasts without renewal (default 15 s). A process renews the leases of its
   * runs every third of it; another process takes a run over only once its lease has expired.
   */
  leaseMs?: number;
  /** This process's name in leases (default: host, pid and a random suffix). */
  owner?: string;
  /** Where runs execute (default: in this process, `maxConcurrent` at a time). */
  executor?: RunExecutor;
  /**
   * How many times a run whose process stopped is resumed from its checkpoints before it is given up
   * as interrupted, with Retry (default 2): a run that keeps killing its process is not resumed for ever.
   */
  maxResumes?: number;
  /**
   * Shared per-user slots (`QUEUE_URL`): the per-user limit held across every front end. Without it
   * the limit is this process's.
   */
  userSlots?: UserSlots;
  log?: Logger;
  newId?: () => string;
  now?: () => number;
}

/**
 * A place in the per-user limit, taken synchronously by {@link JobRunner.admit} (so two requests that
 * arrive together cannot both pass) and turned into a run by {@link JobRunner.create}, or given back
 * with `release` when the request is abandoned before it starts.
 */
export interface Admission {
  /** The request, its question cleaned once here. */
  readonly request: RunRequest;
  readonly platform: string;
  readonly asker: string;
  /** Gives the place back; does nothing once the run has been created or the place was released. */
  release(): void;
}

/** The per-user limit across processes: a slot per run, held while the run is going. */
export interface UserSlots {
  /** Takes one of `max` slots of `user` for `runId` until `ttlMs` from now; false when all are taken. */
  take(user: string, runId: string, max: number, ttlMs: number): Promise<boolean>;
  /** Extends the slots of these runs (the lease heartbeat). */
  renew(entries: readonly { user: string; runId: string }[], ttlMs: number): Promise<void>;
  /** Gives the slot of `runId` back. */
  give(user: string, runId: string): Promise<void>;
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

/** What {@link JobRunner.update} may change. */
export interface JobPatch {
  origin?: Partial<Omit<RunOrigin, 'platform' | 'asker'>>;
  delivery?: Delivery;
}

/** The runner. */
export interface JobRunner {
  /** How long a lease lasts without renewal, in ms. */
  readonly leaseMs: number;
  /**
   * The one admission point: cleans and checks the question and the request, and takes a place in the
   * asker's limit. Synchronous, so a chat adapter can answer within its acknowledgement deadline.
   * Throws a `usage` error for an invalid request and `rate_limited` when the asker already has
   * `maxPerUser` runs going (the message says so in words a user can read).
   */
  admit(request: RunRequest, who: { platform: string; asker: string }): Admission;
  /**
   * Records an admitted run (status `admitted`, leased to this process) before anything is posted for
   * it, so a crash from here on leaves a record to recover. Resolves with its id.
   */
  create(admission: Admission, origin: RunOrigin): Promise<string>;
  /**
   * Queues a created run. Every event goes to `onEvent`, from the first (nothing is buffered for later
   * listeners: the caller that starts a run follows it). The run stays leased to this process until
   * {@link JobRunner.release}.
   */
  launch(jobId: string, onEvent?: ProgressListener): Run;
  /** `create` then `launch`, for callers with nothing to deliver: the lease ends with the run. */
  start(admission: Admission, origin: RunOrigin, onEvent?: ProgressListener): Promise<Run>;
  /** Records where a run lives and how far its delivery got; written in order, before the next step. */
  update(jobId: string, patch: JobPatch): Promise<void>;
  /** Ends this process's lease of a run whose delivery is finalised. */
  release(jobId: string): Promise<void>;
  /** Cancels a queued or running job; resolves false when it was not active. */
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
  getReport(reportId: string): Promise<Report | undefined>;
  /** Jobs of this user that are admitted, queued or running in this process (of one platform when given). */
  activeFor(asker: string, platform?: string): string[];
  /**
   * Takes over the runs of `platforms` whose lease has expired (their process stopped) and whose
   * delivery is not finalised, and returns them, leased to this process: a run that was still going is
   * marked `interrupted`; a finished one keeps its status, so the chat layer can deliver what is
   * missing. Call at start-up and then periodically (a run is taken over one lease after its process
   * stopped). Runs of an earlier version (no lease) that were still going count as expired.
   */
  sweep(platforms?: readonly string[]): Promise<JobRecord[]>;
  /** @deprecated {@link JobRunner.sweep} over every platform. */
  recoverInterrupted(): Promise<JobRecord[]>;
  /**
   * Waits for running jobs to settle (after cancelling them if asked); stops renewing leases. With
   * `crash` (tests), behaves as a killed process would: writes nothing more and waits for nothing.
   */
  close(options?: { cancel?: boolean; crash?: boolean; handBack?: boolean }): Promise<void>;
}

interface HeldJob {
  record: JobRecord;
  controller: AbortController;
  onEvent: ProgressListener | undefined;
  done?: Promise<Report>;
  /** Saves of this record, in order. */
  chain: Promise<void>;
  /** Release the lease when the run settles (no delivery to wait for). */
  releaseWhenDone: boolean;
  /** This process holds a slot of the asker's shared limit for it. */
  slot?: boolean;
}

/** The words of the per-user limit, said the same way on every platform. */
export function waitMessage(active: number): string {
  return `You already have ${active} synthesis run${active === 1 ? '' : 's'} in progress. Wait for one to finish, then ask again.`;
}

/** The index an earlier version kept of its active jobs (read once, for runs it left behind). */
const LEGACY_INDEX = '__active__';

/** Creates a job runner over a `synthesize` function and stores. */
export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { synthesize, stores } = options;
  const log = options.log ?? silentLogger;
  const maxPerUser = options.maxPerUser ?? 2;
  const leaseMs = options.leaseMs ?? 15_000;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = options.now ?? Date.now;
  const maxResumes = options.maxResumes ?? 2;
  const userSlots = options.userSlots;
  /** Runs this process owns: from `create` until `release`. */
  const held = new Map<string, HeldJob>();
  /** Places taken by admissions not yet created, per `platform:asker`. */
  const reserved = new Map<string, number>();
  const newId = options.newId ?? randomUUID;
  const userKey = (platform: string, asker: string) => `${platform}:${asker}`;
  const used = new WeakSet<Admission>();
  let closed = false;

  let crashed = false;
  const write = async (record: JobRecord) => {
    if (crashed) return;
    record.updatedAt = new Date(now()).toISOString();
    const keep = isFinished(record.status) && !record.lease && (!record.delivery || record.delivery.step === 'finalised');
    await stores.jobs.set(record.id, record, keep ? options.ttlMs : undefined);
  };
  /** Saves a held record after its earlier saves (so the store never goes back to an older state). */
  const save = (job: HeldJob): Promise<void> => {
    const next = job.chain.then(() => write(job.record));
    job.chain = next.catch((error: unknown) => log.error({ err: error, jobId: job.record.id }, 'could not save a job'));
    return next;
  };

  const renew = () => {
    for (const job of held.values()) {
      job.record.lease = { owner, until: now() + leaseMs };
      void save(job).catch(() => undefined);
    }
    const slots = [...held.values()].filter((j) => j.slot).map((j) => ({ user: userKey(j.record.origin.platform, j.record.origin.asker), runId: j.record.id }));
    if (userSlots && slots.length > 0) void userSlots.renew(slots, leaseMs * 2).catch((error: unknown) => log.warn({ err: error }, 'could not renew the per-user slots'));
  };
  const giveSlot = (job: HeldJob) => {
    if (!userSlots || !job.slot) return;
    job.slot = false;
    void userSlots.give(userKey(job.record.origin.platform, job.record.origin.asker), job.record.id).catch((error: unknown) => log.warn({ err: error }, 'could not give a per-user slot back'));
  };
  const executor: RunExecutor = options.executor ?? localExecutor();
  /** The embedded default: runs in this process, `maxConcurrent` at a time, resumed from their checkpoints. */
  function localExecutor(): RunExecutor {
    const queue = new PQueue({ concurrency: options.maxConcurrent ?? 2 });
    return {
      waiting: () => (queue.size + queue.pending >= (queue.concurrency as number) ? queue.size + 1 : undefined),
      execute: (job, ctx) =>
        queue.add(
          async () => {
            ctx.signal.throwIfAborted();
            ctx.onStart();
            const report = await synthesize(job.request, { runId: job.id, signal: ctx.signal, onEvent: ctx.onEvent, checkpoint: storeCheckpoints(stores.state, job.id) });
            if (!crashed) {
              await stores.reports.set(report.id, report, options.ttlMs);
              await clearCheckpoints(stores.state, job.id).catch((error: unknown) => log.warn({ err: error, jobId: job.id }, 'could not clear the checkpoints of a run'));
            }
            return report;
          },
          { signal: ctx.signal },
        ),
    };
  }
  const heartbeat = setInterval(renew, Math.max(10, Math.floor(leaseMs / 3)));
  heartbeat.unref();

  const dispatch = (job: HeldJob, event: ProgressEvent) => {
    if (!job.onEvent) return;
    try {
      const result = job.onEvent(event);
      if (result instanceof Promise) result.catch((error: unknown) => log.warn({ err: error }, 'job listener failed'));
    } catch (error) {
      log.warn({ err: error }, 'job listener failed');
    }
  };

  const activeJobs = () => [...held.values()].filter((j) => !isFinished(j.record.status));

  const releaseJob = async (jobId: string) => {
    const job = held.get(jobId);
    if (!job) return;
    held.delete(jobId);
    giveSlot(job);
    delete job.record.lease;
    await save(job);
  };

  /** Claims an expired run: writes our lease, then reads it back after a moment, so of two processes sweeping at once one wins. */
  const claim = async (record: JobRecord): Promise<boolean> => {
    const lease = { owner, until: now() + leaseMs };
    await stores.jobs.set(record.id, { ...record, lease });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await stores.jobs.get(record.id);
    return after?.lease?.owner === owner;
  };

  const runner: JobRunner = {
    leaseMs,
    admit(request, who) {
      const parsed = RunRequestSchema.safeParse(request);
      if (!parsed.success) throw new SynthError('usage', `The request could not be used: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
      const question = sanitizeQuestion(parsed.data.question);
      const { yearFrom, yearTo } = parsed.data;
      if (yearFrom !== undefined && yearTo !== undefined && yearFrom > yearTo) {
        throw new SynthError('usage', `The year range starts (${yearFrom}) after it ends (${yearTo}); swap the years or leave one out.`);
      }
      const key = userKey(who.platform, who.asker);
      const active = activeJobs().filter((j) => j.record.origin.platform === who.platform && j.record.origin.asker === who.asker).length + (reserved.get(key) ?? 0);
      if (active >= maxPerUser) throw new SynthError('rate_limited', waitMessage(active));
      reserved.set(key, (reserved.get(key) ?? 0) + 1);
      let holding = true;
      return {
        request: { ...parsed.data, question },
        platform: who.platform,
        asker: who.asker,
        release() {
          if (!holding) return;
          holding = false;
          const left = (reserved.get(key) ?? 1) - 1;
          if (left > 0) reserved.set(key, left);
          else reserved.delete(key);
        },
      };
    },

    async create(admission, origin) {
      if (origin.platform !== admission.platform || origin.asker !== admission.asker) {
        throw new SynthError('internal', 'A run must start for the asker it was admitted for.');
      }
      if (used.has(admission)) throw new SynthError('internal', 'An admission starts one run only.');
      if (closed) throw new SynthError('internal', 'The bot is shutting down.');
      used.add(admission);
      const id = newId();
      if (userSlots) {
        // The asker's limit across every front end: the local check in `admit` saw this process only.
        const taken = await userSlots.take(userKey(admission.platform, admission.asker), id, maxPerUser, leaseMs * 2).catch((error: unknown) => {
          admission.release();
          throw asSynthError(error);
        });
        if (!taken) {
          admission.release();
          throw new SynthError('rate_limited', waitMessage(maxPerUser));
        }
      }
      const at = new Date(now()).toISOString();
      const record: JobRecord = { id, status: 'admitted', request: admission.request, origin, createdAt: at, updatedAt: at, lease: { owner, until: now() + leaseMs } };
      const job: HeldJob = { record, controller: new AbortController(), onEvent: undefined, chain: Promise.resolve(), releaseWhenDone: false, slot: Boolean(userSlots) };
      // The admission's place becomes the held job's: the count never drops between the two.
      held.set(id, job);
      admission.release();
      try {
        await save(job);
      } catch (error) {
        held.delete(id);
        giveSlot(job);
        throw asSynthError(error);
      }
      return id;
    },

    launch(jobId, onEvent) {
      const job = held.get(jobId);
      // A run created here, or one taken over by `sweep` (resumed from its checkpoints), launched once.
      if (!job || job.done || isFinished(job.record.status)) throw new SynthError('internal', `Run ${jobId} cannot be launched here.`);
      const { record, controller } = job;
      job.onEvent = onEvent;
      if (record.status === 'admitted') record.status = 'queued';
      void save(job).catch(() => undefined);
      const position = executor.waiting?.();
      if (position !== undefined) dispatch(job, { type: 'run-queued', runId: jobId, elapsedMs: 0, position });
      let failedEvent = false;
      const launchedAt = now();
      job.done = executor
        .execute(
          { id: jobId, request: record.request },
          {
            signal: controller.signal,
            onStart: () => {
              record.status = 'running';
              void save(job).catch(() => undefined);
            },
            onEvent: (event) => {
              if (event.type === 'run-failed') failedEvent = true;
              dispatch(job, event);
            },
          },
        )
        .then(async (report) => {
          record.status = 'succeeded';
          record.reportId = report.id;
          delete record.error;
          await save(job);
          return report;
        })
        .catch(async (error: unknown) => {
          if (isHandedBack(controller.signal.reason)) {
            // Shutting down: the run stays going, its lease expired at once, for the next process to resume.
            job.record.lease = { owner, until: 0 };
            await save(job).catch(() => undefined);
            throw controller.signal.reason;
          }
          const failure = controller.signal.aborted ? new SynthError('cancelled', 'The run was cancelled.') : asSynthError(error);
          record.status = failure.code === 'cancelled' ? 'cancelled' : failure.code === 'interrupted' ? 'interrupted' : 'failed';
          record.error = { code: failure.code, message: failure.message };
          if (!failedEvent) dispatch(job, { type: 'run-failed', runId: jobId, elapsedMs: now() - launchedAt, code: failure.code, message: failure.message });
          await save(job).catch(() => undefined);
          throw failure;
        })
        .finally(() => {
          giveSlot(job);
          if (job.releaseWhenDone && !isHandedBack(controller.signal.reason)) void releaseJob(jobId).catch(() => undefined);
        }) as Promise<Report>;
      // The caller may never await `done`; an unobserved rejection must not crash the process.
      job.done.catch(() => undefined);
      return { id: jobId, request: record.request, origin: record.origin, done: job.done };
    },

    async start(admission, origin, onEvent) {
      const id = await runner.create(admission, origin);
      held.get(id)!.releaseWhenDone = true;
      return runner.launch(id, onEvent);
    },

    async update(jobId, patch) {
      const job = held.get(jobId);
      if (!job) {
        log.warn({ jobId }, 'a run not owned by this process was not updated');
        return;
      }
      if (patch.origin) job.record.origin = { ...job.record.origin, ...patch.origin };
      if (patch.delivery) job.record.delivery = patch.delivery;
      await save(job);
    },

    release: releaseJob,

    async cancel(jobId) {
      const job = held.get(jobId);
      if (!job || isFinished(job.record.status)) return false;
      job.controller.abort(new SynthError('cancelled', 'The run was cancelled.'));
      if (job.record.status === 'admitted') {
        // Not launched yet (the parent is being posted): it ends here.
        job.record.status = 'cancelled';
        job.record.error = { code: 'cancelled', message: 'The run was cancelled.' };
        await save(job);
      }
      return true;
    },

    async get(jobId) {
      const record = held.get(jobId)?.record ?? (await stores.jobs.get(jobId));
      return record ? { ...record, origin: readOrigin(record.origin as unknown as Record<string, unknown>) } : undefined;
    },

    async getReport(reportId) {
      return stores.reports.get(reportId);
    },

    activeFor(asker, platform) {
      return activeJobs()
        .filter((j) => j.record.origin.asker === asker && (platform === undefined || j.record.origin.platform === platform))
        .map((j) => j.record.id);
    },

    async sweep(platforms) {
      if (closed) return [];
      const taken: JobRecord[] = [];
      const candidates: JobRecord[] = [];
      const legacy = new Set(((await stores.jobs.get(LEGACY_INDEX)) as unknown as { ids?: string[] } | undefined)?.ids ?? []);
      const iterate = stores.jobs.iterator?.bind(stores.jobs);
      const records: JobRecord[] = [];
      if (iterate) {
        for await (const [key, value] of iterate(undefined)) if (key !== LEGACY_INDEX && value && typeof value === 'object') records.push(value as JobRecord);
      } else {
        for (const id of legacy) {
          const record = await stores.jobs.get(id);
          if (record) records.push(record);
        }
      }
      for (const stored of records) {
        if (held.has(stored.id)) continue;
        const record = { ...stored, origin: readOrigin(stored.origin as unknown as Record<string, unknown>) };
        if (platforms && !platforms.includes(record.origin.platform)) continue;
        const going = !isFinished(record.status);
        if (record.lease) {
          if (record.lease.until > now()) continue;
        } else if (!(going && legacy.has(record.id))) {
          // No lease: released (finished and delivered). Only a run an earlier version left going,
          // listed in its index, is taken over.
          continue;
        }
        if (!going && (!record.delivery || record.delivery.step === 'finalised')) continue;
        candidates.push(record);
      }
      for (const record of candidates) {
        if (!(await claim(record))) continue;
        const job: HeldJob = { record: { ...record, lease: { owner, until: now() + leaseMs } }, controller: new AbortController(), onEvent: undefined, chain: Promise.resolve(), releaseWhenDone: false };
        if (!isFinished(job.record.status)) {
          // Still going when its process stopped: resumed from its checkpoints (`launch`), unless it
          // has been resumed too often already (it may be what stops its processes).
          const resumes = (job.record.resumes ?? 0) + 1;
          if (resumes > maxResumes) {
            job.record.status = 'interrupted';
            job.record.error = {
              code: 'interrupted',
              message: maxResumes > 0 ? `It was interrupted ${resumes} times, so it was not resumed again.` : '',
            };
          } else job.record.resumes = resumes;
        }
        held.set(record.id, job);
        await save(job);
        taken.push({ ...job.record });
      }
      if (legacy.size > 0) await stores.jobs.delete(LEGACY_INDEX).catch(() => undefined);
      return taken;
    },

    async recoverInterrupted() {
      return runner.sweep();
    },

    async close(closeOptions = {}) {
      closed = true;
      if (closeOptions.crash) {
        crashed = true;
        clearInterval(heartbeat);
        return;
      }
      if (closeOptions.handBack) {
        // Nothing is lost: each run stops where it is (its finished stages are checkpointed) and its
        // lease ends now, so the next process to sweep the store resumes it and delivers its answer.
        for (const job of held.values()) {
          if (job.done && !isFinished(job.record.status)) job.controller.abort(new HandedBack());
          else {
            job.record.lease = { owner, until: 0 };
            void save(job).catch(() => undefined);
          }
        }
      } else if (closeOptions.cancel) for (const job of held.values()) job.controller.abort(new SynthError('cancelled', 'The bot is shutting down.'));
      await Promise.allSettled([...held.values()].map((j) => j.done ?? Promise.resolve()));
      clearInterval(heartbeat);
      await Promise.allSettled([...held.values()].map((j) => j.chain));
      await executor.close?.();
    },
  };
  return runner;
}
