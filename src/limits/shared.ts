/**
 * The process-wide switch between in-process limits and limits shared over Redis. Embedded (the
 * default), every limit is a `p-queue` of this process. A worker or front end that shares a queue
 * with others calls {@link configureSharedLimits} once at start, and from then on the source rate
 * limits (`sharedRateLimiter` in `sources/rate-limit.ts`) and the LLM concurrency limit hold across
 * every process configured with the same Redis.
 */
import type { Redis } from 'ioredis';
import PQueue from 'p-queue';
import { SynthError } from '../errors.js';
import { maskUrlPassword } from '../text/redact.js';
import type { Limiter, LimitPolicy } from './limiter.js';
import { createRedisLimiter, type RedisLimiterOptions } from './redis-limiter.js';

/** Time Redis has to answer at start (default of {@link SharedLimitsOptions.openTimeoutMs}). */
export const DEFAULT_OPEN_TIMEOUT_MS = 5000;

/** Options of {@link configureSharedLimits}. */
export interface SharedLimitsOptions {
  /** `redis://[user:password@]host[:port][/db]` (or `rediss://`). */
  redisUrl: string;
  /** The variable the URL came from, named in errors (default `QUEUE_URL`). */
  variable?: string;
  /** How long a killed process keeps a slot (see `redis-limiter.ts`; default 30 s). */
  leaseMs?: number;
  /** Longest pause between two tries of a caller waiting for a slot (default 50 ms). */
  pollMs?: number;
  /** Time Redis has to answer at start (default 5 s). */
  openTimeoutMs?: number;
  /** Hears of each call about to start, on Redis's clock (for benchmarks and tests; see `redis-limiter.ts`). */
  onStart?: RedisLimiterOptions['onStart'];
}

interface SharedState {
  redis: Redis;
  options: SharedLimitsOptions;
  limiters: Map<string, Limiter>;
}

let shared: SharedState | undefined;

/**
 * Makes every shared limit of this process hold across all processes configured with the same Redis.
 * Resolves once Redis answers; an unreachable Redis rejects with one line naming the variable and the
 * URL with its password masked. Calling it again replaces the previous configuration.
 */
export async function configureSharedLimits(options: SharedLimitsOptions): Promise<void> {
  const variable = options.variable ?? 'QUEUE_URL';
  const timeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  // Loaded on demand: an embedded process (the CLI, one bot) never pays for ioredis.
  const { Redis } = await import('ioredis');
  const redis = new Redis(options.redisUrl, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 2 });
  redis.on('error', () => {
    // Surfaced on the awaited command; an unhandled 'error' event would be printed by ioredis.
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const ready = redis.connect().then(() => redis.ping());
    ready.catch(() => undefined);
    await Promise.race([ready, deadline]);
  } catch (error) {
    redis.disconnect();
    throw new SynthError('config', `${variable}: cannot reach Redis at ${maskUrlPassword(options.redisUrl)} for the shared rate limits (${(error as Error).message}). Start Redis, or unset ${variable} to run in one process.`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  await closeSharedLimits();
  shared = { redis, options, limiters: new Map() };
}

/** Back to in-process limits; closes the Redis connection. Calls in flight finish (their slots expire by lease). */
export async function closeSharedLimits(): Promise<void> {
  const previous = shared;
  shared = undefined;
  if (!previous) return;
  await previous.redis.quit().catch(() => previous.redis.disconnect());
}

/** Whether {@link configureSharedLimits} is in effect. */
export function sharedLimitsConfigured(): boolean {
  return shared !== undefined;
}

/**
 * The Redis-backed limiter `name` with `policy`, one per name and policy in this process; undefined
 * when shared limits are not configured (the caller then uses its in-process limiter).
 */
export function sharedLimiter(name: string, policy: LimitPolicy): Limiter | undefined {
  if (!shared) return undefined;
  const key = `${name}:${policy.minIntervalMs}/${policy.concurrency}`;
  let limiter = shared.limiters.get(key);
  if (!limiter) {
    const { leaseMs, pollMs, onStart } = shared.options;
    limiter = createRedisLimiter(shared.redis, {
      name: key,
      ...policy,
      ...(leaseMs !== undefined ? { leaseMs } : {}),
      ...(pollMs !== undefined ? { pollMs } : {}),
      ...(onStart ? { onStart } : {}),
    });
    shared.limiters.set(key, limiter);
  }
  return limiter;
}

/**
 * A cap of `concurrency` calls in flight for `name` (e.g. `llm:` plus the endpoint and model): shared
 * by every process when shared limits are configured, otherwise a new `p-queue` owned by the caller.
 */
export function sharedConcurrencyLimiter(name: string, concurrency: number): Limiter {
  return sharedLimiter(name, { minIntervalMs: 0, concurrency }) ?? new PQueue({ concurrency });
}
