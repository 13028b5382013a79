/**
 * What a rate or concurrency limit looks like to its callers: `add(fn)` runs `fn` when the limit
 * allows and resolves to its result. `p-queue` satisfies it as it is (the in-process limits), and so
 * does the Redis-backed limiter of `redis-limiter.ts` (limits that hold across processes), so a caller
 * never needs to know which one it was given.
 */
export interface Limiter {
  /**
   * Runs `fn` when the limit allows. An aborted `signal` rejects with `signal.reason`: a call still
   * waiting takes no slot; a call already running is not stopped (`fn` handles the signal itself).
   */
  add<T>(fn: () => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
}

/** How fast something may be called: a spacing between starts and a cap on calls in flight. */
export interface LimitPolicy {
  /** Least time between the starts of two calls, in ms (0: no spacing). */
  minIntervalMs: number;
  /** Calls in flight at once. */
  concurrency: number;
}
