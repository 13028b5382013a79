/**
 * Coalesced, rate-limited updates: many progress events become at most one platform edit per
 * interval per key, and the latest state always gets written (the final one is never dropped).
 * Used by the chat adapters to edit a progress message in place within the platforms' limits.
 */

/** Options of {@link createCoalescer}. */
export interface CoalescerOptions<T> {
  /** Least time between two writes for the same key, in ms. */
  intervalMs: number;
  /** Writes one state; a rejection is reported to `onError` and the next state is still written. */
  write: (key: string, state: T) => Promise<void>;
  onError?: (error: unknown, key: string) => void;
  now?: () => number;
}

/** A coalescer. */
export interface Coalescer<T> {
  /** Records the latest state for `key`; it is written now or as soon as the interval allows. */
  push(key: string, state: T): void;
  /**
   * Writes the pending state of `key` as soon as the interval allows (waiting for a write in flight)
   * and resolves when nothing is pending.
   */
  flush(key: string): Promise<void>;
  /** Stops timers; pending states are dropped. */
  close(): void;
}

interface Slot<T> {
  pending?: { state: T };
  lastWrite: number;
  inFlight?: Promise<void>;
  timer?: NodeJS.Timeout;
}

/** Creates a coalescer. */
export function createCoalescer<T>(options: CoalescerOptions<T>): Coalescer<T> {
  const now = options.now ?? Date.now;
  const slots = new Map<string, Slot<T>>();

  const run = (key: string, slot: Slot<T>): Promise<void> => {
    if (slot.timer) {
      clearTimeout(slot.timer);
      delete slot.timer;
    }
    const pending = slot.pending;
    if (!pending) return slot.inFlight ?? Promise.resolve();
    delete slot.pending;
    slot.lastWrite = now();
    const write = options
      .write(key, pending.state)
      .catch((error: unknown) => options.onError?.(error, key))
      .finally(() => {
        if (slot.inFlight === write) delete slot.inFlight;
        if (slot.pending) schedule(key, slot);
      });
    slot.inFlight = write;
    return write;
  };

  const schedule = (key: string, slot: Slot<T>) => {
    if (slot.timer || slot.inFlight) return;
    const wait = Math.max(0, slot.lastWrite + options.intervalMs - now());
    if (wait === 0) void run(key, slot);
    else slot.timer = setTimeout(() => void run(key, slot), wait);
  };

  return {
    push(key, state) {
      let slot = slots.get(key);
      if (!slot) slots.set(key, (slot = { lastWrite: -Infinity }));
      slot.pending = { state };
      schedule(key, slot);
    },
    async flush(key) {
      const slot = slots.get(key);
      if (!slot) return;
      while (slot.inFlight || slot.pending) {
        if (slot.inFlight) {
          await slot.inFlight;
          continue;
        }
        const wait = Math.max(0, slot.lastWrite + options.intervalMs - now());
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!slot.inFlight) await run(key, slot);
      }
    },
    close() {
      for (const slot of slots.values()) if (slot.timer) clearTimeout(slot.timer);
      slots.clear();
    },
  };
}
