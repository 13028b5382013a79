/**
 * The scale-out mode (`QUEUE_URL=redis://…`): runs execute on BullMQ workers (`npm run worker`, any
 * number, on any machine) and the chat front ends follow them.
 *
 * - The front end's runner enqueues a run under its own id (BullMQ ignores a second add of the same
 *   id, so a front end that takes a run over never starts it twice) and follows it.
 * - A worker runs the pipeline with stage checkpoints in the shared store. Each run's progress events
 *   are appended to a Redis list (`synth:run:ID:log`) and published on a channel
 *   (`synth:run:ID:events`), numbered: the front end that follows the run replays the list, then takes
 *   the channel, and drops what it has seen, so a front end restarted mid-run catches up.
 * - The outcome is a hash (`synth:run:ID`: status, report id or error, how often it started); the
 *   report itself is in the shared store. The front end waits for the "settled" message and polls the
 *   hash as a fallback (pub/sub drops messages while a connection is down).
 * - A worker killed mid-run loses its BullMQ lock; BullMQ's stalled-job check moves the run back to
 *   the queue and another worker (or the same one restarted) resumes it from its last checkpoint, at
 *   most `maxResumes` times. A worker asked to stop (`SIGTERM`) finishes its runs within the drain
 *   time, or hands them back to the queue, checkpointed.
 * - Cancel: a flag key and a message on `synth:cancels`; a waiting run is removed from the queue.
 * - The per-user limit across front ends: a sorted set of run ids per user, scored by expiry.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Keyv } from 'keyv';
import { asSynthError, SynthError, type ErrorCode } from '../errors.js';
import type { ProgressEvent } from '../events.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Report, RunRequest } from '../model.js';
import type { Synthesize } from '../pipeline/synthesize.js';
import type { Stores } from '../store/store.js';
import { maskUrlPassword } from '../text/redact.js';
import { clearCheckpoints, storeCheckpoints } from './checkpoints.js';
import { HandedBack, isHandedBack, type RunExecutor, type UserSlots } from './runner.js';

/** The BullMQ queue's name. */
export const QUEUE_NAME = 'synthesize';
/** How long a run's outcome and event log stay in Redis (7 days). */
export const RUN_TTL_S = 7 * 24 * 3600;
/** How long finished BullMQ jobs are kept (a day): long enough for a front end to find them again. */
const JOB_KEEP_S = 24 * 3600;

const keys = {
  state: (id: string) => `synth:run:${id}`,
  log: (id: string) => `synth:run:${id}:log`,
  events: (id: string) => `synth:run:${id}:events`,
  cancel: (id: string) => `synth:run:${id}:cancel`,
  cancels: 'synth:cancels',
  slots: (user: string) => `synth:slots:${user}`,
};

/** A message of a run's log and channel; `seq` is its place in the log (1-based). */
type RunMessage = { kind: 'event'; event: ProgressEvent } | { kind: 'started'; starts: number; worker: string } | { kind: 'settled' };

/** A run's outcome as the worker records it. */
export interface RunOutcomeState {
  status?: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** How many times a worker started it (more than 1: resumed). */
  starts?: string;
  worker?: string;
  reportId?: string;
  code?: string;
  message?: string;
  /** When the outcome was recorded (epoch ms). */
  settledAt?: string;
}

const settledStatus = (status: string | undefined) => status === 'succeeded' || status === 'failed' || status === 'cancelled';

/** A Redis connection for BullMQ and the run channels (BullMQ needs `maxRetriesPerRequest: null`). */
export function connectRedis(url: string, log: Logger = silentLogger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  let reported = false;
  redis.on('error', (error: Error) => {
    // ioredis reconnects by itself; one line per outage, not one per retry.
    if (!reported) log.error({ err: { message: error.message } }, `QUEUE_URL: Redis connection error at ${maskUrlPassword(url)}`);
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

/** Resolves when Redis at `url` answers a PING within `timeoutMs`; otherwise one line naming QUEUE_URL. */
export async function checkRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onError: ((error: Error) => void) | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        // Refused or unresolvable: said at once, not after the timeout (ioredis would retry for ever).
        onError = (error: Error) => {
          if (redis.status !== 'ready') reject(error);
        };
        redis.on('error', onError);
      }),
    ]);
  } catch (error) {
    throw new SynthError('config', `QUEUE_URL: cannot reach Redis at ${maskUrlPassword(url)} (${(error as Error).message}). Start Redis, or unset QUEUE_URL to run everything in this process.`, { cause: error });
  } finally {
    clearTimeout(timer);
    if (onError) redis.off('error', onError);
  }
}

/** The front end's side of the queue: the executor its runner uses, the shared per-user slots. */
export interface QueueClient {
  executor: RunExecutor;
  userSlots: UserSlots;
  /** Answers when Redis does (a readiness check). */
  ping(): Promise<void>;
  /** How the queue stands (for /readyz and the bench). */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Options of {@link connectQueue}. */
export interface QueueClientOptions {
  url: string;
  stores: Pick<Stores, 'reports'>;
  log?: Logger;
  /** How often a followed run's outcome is polled besides the pub/sub message (default 1,000 ms). */
  pollMs?: number;
  /** Longest wait for Redis at start (default 10 s). */
  connectTimeoutMs?: number;
}

/** Connects a front end to the queue at `url`. */
export async function connectQueue(options: QueueClientOptions): Promise<QueueClient> {
  const log = options.log ?? silentLogger;
  const pollMs = options.pollMs ?? 1000;
  const redis = connectRedis(options.url, log);
  const subscriber = connectRedis(options.url, log);
  try {
    await checkRedis(redis, options.url, options.connectTimeoutMs);
    await checkRedis(subscriber, options.url, options.connectTimeoutMs);
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    throw error;
  }
  const queue = new Queue(QUEUE_NAME, { connection: redis });
  queue.on('error', (error: Error) => log.error({ err: error }, 'queue error'));
  const listeners = new Map<string, (text: string) => void>();
  subscriber.on('message', (channel: string, text: string) => listeners.get(channel)?.(text));

  const outcome = async (id: string): Promise<Report> => {
    const state = (await redis.hgetall(keys.state(id))) as RunOutcomeState;
    if (state.status === 'succeeded') {
      const report = state.reportId ? await options.stores.reports.get(state.reportId) : undefined;
      if (!report) throw new SynthError('store', 'The run finished on a worker, but its report is not in the store (is STORE_URL the same for the workers?).');
      return report;
    }
    if (state.status === 'cancelled') throw new SynthError('cancelled', 'The run was cancelled.');
    throw new SynthError((state.code as ErrorCode | undefined) ?? 'internal', state.message ?? 'The run failed on a worker.');
  };

  /**
   * Adds a run under its own id, once: BullMQ ignores an add whose id it already holds (waiting,
   * running, or kept as finished), and a failure is final (the outcome hash carries why).
   */
  const enqueue = (id: string, request: RunRequest) =>
    queue.add('run', { request }, { jobId: id, attempts: 1, removeOnComplete: { age: JOB_KEEP_S }, removeOnFail: { age: JOB_KEEP_S } });

  const cancel = async (id: string) => {
    await redis.set(keys.cancel(id), '1', 'EX', RUN_TTL_S);
    await redis.publish(keys.cancels, id);
    // A run still waiting is taken off the queue; one running stops at its worker's next check.
    const job = await queue.getJob(id);
    if (job && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove().catch(() => undefined);
  };

  const executor: RunExecutor = {
    async execute(job, ctx) {
      const { id } = job;
      const channel = keys.events(id);
      let last = 0;
      let replaying = true;
      const early: { seq: number; message: RunMessage }[] = [];
      let wake: () => void = () => undefined;
      let settled = false;
      const handle = (seq: number, message: RunMessage) => {
        if (seq <= last) return;
        last = seq;
        if (message.kind === 'event') void ctx.onEvent(message.event);
        else if (message.kind === 'started') ctx.onStart();
        else {
          settled = true;
          wake();
        }
      };
      listeners.set(channel, (text) => {
        const parsed = JSON.parse(text) as { seq: number; message: RunMessage };
        if (replaying) early.push(parsed);
        else handle(parsed.seq, parsed.message);
      });
      try {
        await subscriber.subscribe(channel);
        // What happened before this front end followed the run (it took the run over mid-way).
        const logged = await redis.lrange(keys.log(id), 0, -1);
        logged.forEach((text, i) => handle(i + 1, JSON.parse(text) as RunMessage));
        replaying = false;
        for (const { seq, message } of early.sort((a, b) => a.seq - b.seq)) handle(seq, message);
        const state = (await redis.hgetall(keys.state(id))) as RunOutcomeState;
        if (!settledStatus(state.status)) {
          // Under the run's own id: a run already queued, running or kept as finished is not added again.
          await enqueue(id, job.request);
        }
        for (let polls = 1; ; polls++) {
          if (ctx.signal.aborted) {
            if (!isHandedBack(ctx.signal.reason)) await cancel(id).catch((error: unknown) => log.warn({ err: error, jobId: id }, 'could not cancel a run on the workers'));
            throw isHandedBack(ctx.signal.reason) ? ctx.signal.reason : new SynthError('cancelled', 'The run was cancelled.');
          }
          const status = settled ? 'settled' : ((await redis.hget(keys.state(id), 'status')) ?? undefined);
          if (status === 'settled' || settledStatus(status)) {
            // Every event comes before the outcome: what the channel has not delivered yet (the poll
            // saw the outcome first) is read from the run's log.
            const from = last;
            const rest = await redis.lrange(keys.log(id), from, -1);
            rest.forEach((text, i) => handle(from + i + 1, JSON.parse(text) as RunMessage));
            return await outcome(id);
          }
          if (polls % 5 === 0) {
            // Given up by BullMQ (it stalled more often than allowed) without an outcome of its own.
            const where = await queue.getJobState(id);
            if (where === 'failed') throw new SynthError('interrupted', 'The run was interrupted on its workers too many times, so it was not resumed again.');
            if (where === 'unknown') await enqueue(id, job.request);
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollMs);
            const onAbort = () => resolve();
            ctx.signal.addEventListener('abort', onAbort, { once: true });
            wake = () => {
              clearTimeout(timer);
              ctx.signal.removeEventListener('abort', onAbort);
              resolve();
            };
          });
        }
      } finally {
        listeners.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => undefined);
      }
    },
    async close() {
      // Connections are closed by QueueClient.close, after the runner has stopped following.
    },
  };

  const userSlots = createRedisUserSlots(redis);
  return {
    executor,
    userSlots,
    async ping() {
      await checkRedis(redis, options.url, 2_000);
    },
    async counts() {
      return queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    },
    async close() {
      await queue.close().catch(() => undefined);
      await subscriber.quit().catch(() => undefined);
      await redis.quit().catch(() => undefined);
    },
  };
}

/**
 * Takes, renews or gives back a slot atomically, on Redis's clock: expired slots are dropped first, a
 * run already holding a slot keeps it.
 */
const SLOT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[4] == 'renew' then
  redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/** The per-user limit across front ends, in Redis (see {@link UserSlots}). */
export function createRedisUserSlots(redis: Redis): UserSlots {
  const run = (user: string, runId: string, max: number, ttlMs: number, mode: 'take' | 'renew') =>
    redis.eval(SLOT_SCRIPT, 1, keys.slots(user), runId, String(max), String(Math.max(1, Math.round(ttlMs))), mode) as Promise<number>;
  return {
    async take(user, runId, max, ttlMs) {
      return (await run(user, runId, max, ttlMs, 'take')) === 1;
    },
    async renew(entries, ttlMs) {
      await Promise.all(entries.map((e) => run(e.user, e.runId, 0, ttlMs, 'renew')));
    },
    async give(user, runId) {
      await redis.zrem(keys.slots(user), runId);
    },
  };
}

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  url: string;
  stores: Pick<Stores, 'reports' | 'state'>;
  /** Runs a request to its report (the core's run function: questions, follow-ups, added papers). */
  synthesize: Synthesize;
  /** Runs this worker executes at once (default 2). */
  concurrency?: number;
  /** Runs executing at once across all workers (BullMQ's global concurrency); unset: no limit but each worker's. */
  maxRunsTotal?: number;
  /**
   * How long a run's lock lasts without renewal (default 30 s): a killed worker's runs are resumed
   * elsewhere about this long after it died.
   */
  lockMs?: number;
  /** How often a run that stalled (its worker died) is resumed before it is given up (default 2). */
  maxResumes?: number;
  /** How long `close` lets running runs finish before handing them back to the queue (default 30 s). */
  drainMs?: number;
  /** How long reports are kept, in ms (default: for ever). */
  ttlMs?: number;
  log?: Logger;
  /** This worker's name (default host:pid). */
  name?: string;
}

/** A running worker. */
export interface RunWorker {
  readonly name: string;
  /** Runs executing now. */
  active(): number;
  /** Ready to take runs: Redis answers and the worker is not draining. */
  ready(): Promise<{ ok: boolean; reason?: string }>;
  /** Stops taking runs; lets the running ones finish within the drain time, then hands the rest back. */
  close(): Promise<void>;
}

/** Starts a worker on the queue at `url`. */
export async function startWorker(options: WorkerOptions): Promise<RunWorker> {
  const log = options.log ?? silentLogger;
  const name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
  const lockMs = options.lockMs ?? 30_000;
  const drainMs = options.drainMs ?? 30_000;
  const connection = connectRedis(options.url, log);
  const redis = connectRedis(options.url, log);
  const subscriber = connectRedis(options.url, log);
  try {
    await checkRedis(redis, options.url);
  } catch (error) {
    for (const c of [connection, redis, subscriber]) c.disconnect();
    throw error;
  }
  const active = new Map<string, AbortController>();
  let draining = false;

  // Cancels from any front end reach the worker running the run.
  subscriber.on('message', (_channel: string, id: string) => active.get(id)?.abort(new SynthError('cancelled', 'The run was cancelled.')));
  await subscriber.subscribe(keys.cancels);

  /** Appends to a run's log and publishes, in order (one chain per run). */
  const chains = new Map<string, Promise<unknown>>();
  const publish = (id: string, message: RunMessage): Promise<void> => {
    const text = JSON.stringify(message);
    const next = (chains.get(id) ?? Promise.resolve()).then(async () => {
      const seq = await redis.rpush(keys.log(id), text);
      if (seq === 1) await redis.expire(keys.log(id), RUN_TTL_S);
      await redis.publish(keys.events(id), JSON.stringify({ seq, message }));
    });
    const kept = next.catch((error: unknown) => log.warn({ err: error, jobId: id }, 'could not publish a run event'));
    chains.set(id, kept);
    return kept;
  };
  const settle = async (id: string, state: RunOutcomeState) => {
    await redis.hset(keys.state(id), { ...state, settledAt: String(Date.now()) } as Record<string, string>);
    await redis.expire(keys.state(id), RUN_TTL_S);
    await publish(id, { kind: 'settled' });
    chains.delete(id);
  };

  const processor = async (job: Job<{ request: RunRequest }>, token?: string): Promise<string> => {
    const id = job.id!;
    const state = (await redis.hgetall(keys.state(id))) as RunOutcomeState;
    // Settled before (a duplicate delivery of a finished run): nothing to do, nothing posted twice.
    if (settledStatus(state.status)) return state.status!;
    // Listening for a cancel before checking for one: a cancel that comes in between is not missed.
    const controller = new AbortController();
    active.set(id, controller);
    if (await redis.exists(keys.cancel(id))) {
      active.delete(id);
      await settle(id, { status: 'cancelled', code: 'cancelled', message: 'The run was cancelled.' });
      return 'cancelled';
    }
    const starts = await redis.hincrby(keys.state(id), 'starts', 1);
    await redis.hset(keys.state(id), { status: 'running', worker: name });
    await redis.expire(keys.state(id), RUN_TTL_S);
    if (starts > 1) log.warn({ jobId: id, starts }, 'resuming a run from its checkpoints');
    await publish(id, { kind: 'started', starts, worker: name });
    try {
      controller.signal.throwIfAborted();
      const report = await options.synthesize(job.data.request, {
        runId: id,
        signal: controller.signal,
        onEvent: (event) => {
          // A run handed back is not a failed run: its end is not news for the front end.
          if (event.type === 'run-failed' && isHandedBack(controller.signal.reason)) return;
          void publish(id, { kind: 'event', event });
        },
        checkpoint: storeCheckpoints(options.stores.state as Keyv<unknown>, id),
      });
      await options.stores.reports.set(report.id, report, options.ttlMs);
      await clearCheckpoints(options.stores.state as Keyv<unknown>, id).catch((error: unknown) => log.warn({ err: error, jobId: id }, 'could not clear the checkpoints of a run'));
      await settle(id, { status: 'succeeded', reportId: report.id });
      return 'succeeded';
    } catch (error) {
      if (isHandedBack(controller.signal.reason)) {
        // Draining past its time: back to the queue, checkpointed; another worker resumes it.
        await chains.get(id);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const failure = controller.signal.aborted ? new SynthError('cancelled', 'The run was cancelled.') : asSynthError(error);
      await settle(id, { status: failure.code === 'cancelled' ? 'cancelled' : 'failed', code: failure.code, message: failure.message });
      // The outcome is recorded; BullMQ must not retry a run that failed on its own terms.
      return failure.code;
    } finally {
      active.delete(id);
    }
  };

  const worker = new Worker<{ request: RunRequest }, string>(QUEUE_NAME, processor, {
    connection,
    concurrency: options.concurrency ?? 2,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: options.maxResumes ?? 2,
  });
  worker.on('error', (error: Error) => log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => log.warn({ jobId: job?.id, err: error }, 'a run was given up by the queue'));
  if (options.maxRunsTotal !== undefined) {
    const queue = new Queue(QUEUE_NAME, { connection: redis });
    await queue.setGlobalConcurrency(options.maxRunsTotal);
    await queue.close();
  }
  await worker.waitUntilReady();
  log.info({ worker: name, concurrency: options.concurrency ?? 2, lockMs }, 'worker started');

  let closing: Promise<void> | undefined;
  return {
    name,
    active: () => active.size,
    async ready() {
      if (draining) return { ok: false, reason: 'draining' };
      try {
        await checkRedis(redis, options.url, 2_000);
      } catch (error) {
        return { ok: false, reason: (error as Error).message };
      }
      return worker.isRunning() ? { ok: true } : { ok: false, reason: 'not running' };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        const timer = setTimeout(() => {
          if (active.size > 0) log.warn({ runs: [...active.keys()] }, 'drain time over: handing the runs back to the queue');
          for (const controller of active.values()) controller.abort(new HandedBack());
        }, drainMs);
        await worker.close();
        clearTimeout(timer);
        await Promise.all([...chains.values()]);
        await subscriber.quit().catch(() => undefined);
        await redis.quit().catch(() => undefined);
        await connection.quit().catch(() => undefined);
        log.info({ worker: name }, 'worker stopped');
      })();
      return closing;
    },
  };
}
