/**
 * Keys that may be acted on once: a Slack trigger or event id (Slack's retries), a Retry button (two
 * quick clicks, or two people). The in-process map makes a claim atomic between concurrent deliveries
 * in this process; the store carries it across a restart.
 */
import type { Keyv } from 'keyv';

/** How long a claimed key is remembered (Slack retries within minutes; a Retry button lives longer). */
export const CLAIM_TTL_MS = 24 * 60 * 60 * 1000;

/** Claims over a store. */
export interface Claims {
  /** True the first time `key` is claimed within {@link CLAIM_TTL_MS}, false for every repeat. */
  claim(key: string): Promise<boolean>;
  /** Gives a claim back (the action it guarded could not go ahead). */
  release(key: string): Promise<void>;
}

/** Creates the claims over a keyv store. */
export function createClaims(store: Keyv<unknown>, now: () => number = Date.now): Claims {
  const claimed = new Map<string, number>();
  const storeKey = (key: string) => `chat:claimed:${key}`;
  return {
    async claim(key) {
      const t = now();
      for (const [k, at] of claimed) {
        if (t - at < CLAIM_TTL_MS) break;
        claimed.delete(k);
      }
      // Checked and set before any await: a second delivery in this process sees the first at once.
      if (claimed.has(key)) return false;
      claimed.set(key, t);
      if (await store.get(storeKey(key))) return false;
      await store.set(storeKey(key), 1, CLAIM_TTL_MS);
      return true;
    },
    async release(key) {
      claimed.delete(key);
      await store.delete(storeKey(key));
    },
  };
}
