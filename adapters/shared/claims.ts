/**
 * Keys that may be acted on once: a Slack trigger or event id (Slack's retries, which may reach
 * another front end behind the same endpoint), a Retry button (two quick clicks, or two people). The
 * store's claim is atomic across every process that shares it (Redis `SET NX`, an SQLite upsert), and
 * carries across a restart.
 */
import type { Stores } from '../../src/store/store.js';

/** How long a claimed key is remembered (Slack retries within minutes; a Retry button lives longer). */
export const CLAIM_TTL_MS = 24 * 60 * 60 * 1000;

/** Claims over a store. */
export interface Claims {
  /** True the first time `key` is claimed within {@link CLAIM_TTL_MS}, false for every repeat. */
  claim(key: string): Promise<boolean>;
  /** Gives a claim back (the action it guarded could not go ahead). */
  release(key: string): Promise<void>;
}

/** Creates the claims over the stores. */
export function createClaims(stores: Pick<Stores, 'claim' | 'unclaim'>): Claims {
  const storeKey = (key: string) => `chat:${key}`;
  return {
    claim: (key) => stores.claim(storeKey(key), CLAIM_TTL_MS),
    release: (key) => stores.unclaim(storeKey(key)),
  };
}
