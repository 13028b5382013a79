/**
 * A {@link Limiter} whose limit holds across processes, on Redis: a minimum spacing between the starts
 * of calls and a cap on calls in flight, counted over every process that uses the same name. The
 * published limits of the scholarly APIs (and of a model endpoint) are per client address or key,
 * not per process, so several workers must share one budget.
 *
 * One Lua script decides atomically, under Redis's clock (`TIME`, so the clocks of the processes do
 * not matter), for the keys `synth:limit:{NAME}:holders` (a sorted set of holder ids scored by the end
 * of their lease) and `synth:limit:{NAME}:next` (the earliest time the next call may start):
 * expired holders are dropped; a full set refuses (try again soon); a start before `next` refuses with
 * the time left (sleep that long); otherwise the caller becomes a holder, `next` moves one interval
 * past now, and the caller starts at once. Slots are granted only for an immediate start, never for a
 * later one: a timer that fires late (a busy event loop) then delays only its own call instead of
 * narrowing the gap to the next, and a wait, being outside Redis, can be aborted without giving
 * anything back. The caller removes itself when done. While it runs it renews its lease, so a long
 * call keeps its slot and a process killed mid-call (`kill -9`) frees it once the lease runs out.
 * A local queue lets only `concurrency` callers of a process contend at once, so polling stays light.
 *
 * Why not a library: rate-limiter-flexible counts requests in fixed windows of whole seconds, so two
 * requests at the edges of two windows may start milliseconds apart (arXiv asks for one request per
 * 3 s), and BullMQ's limiter throttles job starts, whereas a run makes many requests to many sources.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import PQueue from 'p-queue';
import type { Limiter, LimitPolicy } from './limiter.js';

/** How long a holder keeps its slot without renewing it (default of {@link RedisLimiterOptions.leaseMs}). */
export const DEFAULT_LEASE_MS = 30_000;

/** Longest pause between two tries of a refused caller (default of {@link RedisLimiterOptions.pollMs}). */
export const DEFAULT_POLL_MS = 50;
/** A grant whose reply took longer than this (or a tenth of the spacing, if longer) is not used. */
export const DEFAULT_STALE_MS = 25;
/** How many late grants in a row are given up before one is taken anyway (a process that is always busy still gets its calls made). */
const MAX_STALE_GRANTS = 8;

/** Options of {@link createRedisLimiter}. */
export interface RedisLimiterOptions extends LimitPolicy {
  /** Every process using the same name shares one limit. */
  name: string;
  /**
   * How long a slot outlives its holder's last renewal (renewed every third of it while the call
   * runs): the time a killed process keeps its slot.
   */
  leaseMs?: number;
  /** Longest pause between two tries while the cap is reached. */
  pollMs?: number;
  /** Longest round trip of a grant that is still used (default {@link DEFAULT_STALE_MS} or a tenth of the spacing). */
  staleMs?: number;
  /**
   * Hears of each call about to start, with its start on Redis's clock (ms since the epoch): one clock
   * for every process, so a log of these shows whether the limit held (see `check.ts`).
   */
  onStart?: (start: { name: string; redisTimeMs: number }) => void;
}

/** The Redis keys of limit `name` (one hash slot, so the script also runs on a cluster). */
export function limitKeys(name: string): { holders: string; next: string } {
  const tag = `synth:limit:{${name.replace(/[{}]/g, '_')}}`;
  return { holders: `${tag}:holders`, next: `${tag}:next` };
}

// Times in the scripts are in microseconds (Redis TIME), held exactly by Lua's doubles; '%.0f' keeps
// them out of exponent notation. The keys expire once nothing refers to them any more.
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
if redis.call('ZCARD', KEYS[1]) >= cap then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - now, 1}
end
local nextStart = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nextStart then return {0, nextStart - now, 0} end
if interval > 0 then
  redis.call('SET', KEYS[2], string.format('%.0f', now + interval), 'PX', math.ceil(interval / 1000) + 1)
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + lease), ARGV[1])
local ttl = math.ceil(lease / 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return {1, now, 0}
`;

const RENEW_SCRIPT = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', now + lease), ARGV[1])
local ttl = math.ceil(lease / 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

interface LimitCommands {
  /** `[1, nowUs, 0]`: start now (Redis's time); `[0, waitUs, 0]`: too soon after the last start; `[0, untilOldestLeaseEndsUs, 1]`: full. */
  synthLimitAcquire(holders: string, next: string, holder: string, intervalUs: number, cap: number, leaseUs: number): Promise<[number, number, number]>;
  synthLimitRenew(holders: string, holder: string, leaseUs: number): Promise<number>;
}

/** Registers the scripts on `redis` (once; ioredis sends them by SHA after the first call). */
function commands(redis: Redis): LimitCommands {
  const client = redis as Redis & Partial<LimitCommands>;
  if (typeof client.synthLimitAcquire !== 'function') {
    redis.defineCommand('synthLimitAcquire', { numberOfKeys: 2, lua: ACQUIRE_SCRIPT });
    redis.defineCommand('synthLimitRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
  }
  return client as Redis & LimitCommands;
}

/** Sleeps `ms`, rejecting with the signal's own reason (not a generic AbortError) when it is aborted. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}

/** A limiter shared by every process that creates one with the same `name` on the same Redis. */
export function createRedisLimiter(redis: Redis, options: RedisLimiterOptions): Limiter {
  const { name, minIntervalMs, concurrency } = options;
  if (!(concurrency >= 1) || !(minIntervalMs >= 0)) throw new RangeError(`limit ${name}: needs concurrency >= 1 and minIntervalMs >= 0`);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const staleMs = options.staleMs ?? Math.max(DEFAULT_STALE_MS, minIntervalMs / 10);
  const keys = limitKeys(name);
  const redisCommands = commands(redis);
  const failed = (error: unknown) => new Error(`shared limit ${name}: Redis failed (${(error as Error).message})`, { cause: error });
  const release = (holder: string) =>
    // A failed release is not fatal: the lease frees the slot.
    redis.zrem(keys.holders, holder).then(
      () => undefined,
      () => undefined,
    );

  /** Waits until a call may start now; resolves to the holder id of its slot. */
  async function acquire(signal: AbortSignal | undefined): Promise<string> {
    for (let stale = 0; ; ) {
      signal?.throwIfAborted();
      const holder = randomUUID();
      let reply: [number, number, number];
      const asked = performance.now();
      try {
        reply = await redisCommands.synthLimitAcquire(keys.holders, keys.next, holder, Math.round(minIntervalMs * 1000), concurrency, leaseMs * 1000);
      } catch (error) {
        throw failed(error);
      }
      const [granted, waitUs, full] = reply;
      if (granted === 1) {
        if (signal?.aborted) {
          await release(holder);
          throw signal.reason;
        }
        // A grant that reached this process late (its event loop was busy, e.g. with another run's
        // extraction) would start the call late, closer than the spacing to the next process's start
        // as the server sees them: given up, and asked for again (after a few tries, taken anyway).
        if (performance.now() - asked > staleMs && stale < MAX_STALE_GRANTS) {
          stale++;
          await release(holder);
          continue;
        }
        // Here waitUs is the grant's time on Redis's clock.
        options.onStart?.({ name, redisTimeMs: waitUs / 1000 });
        return holder;
      }
      // Too soon: sleep until the next start is due (a late timer only delays us). Full: a release is
      // not announced, so try again soon, and when the oldest lease ends at the latest.
      const waitMs = Math.max(1, Math.ceil(waitUs / 1000));
      await pause(full === 1 ? Math.min(waitMs, pollMs * (0.5 + Math.random() / 2)) : waitMs, signal);
    }
  }

  async function run<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const holder = await acquire(signal);
    const renewal = setInterval(() => {
      redisCommands.synthLimitRenew(keys.holders, holder, leaseMs * 1000).catch(() => undefined);
    }, Math.max(10, Math.floor(leaseMs / 3)));
    renewal.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renewal);
      await release(holder);
    }
  }

  // Only as many callers of this process as the cap ask Redis at once; the rest wait here.
  const local = new PQueue({ concurrency });
  return {
    add: <T>(fn: () => Promise<T>, addOptions: { signal?: AbortSignal } = {}) => {
      const { signal } = addOptions;
      return local.add(() => run(fn, signal), signal ? { signal } : {});
    },
  };
}
