/**
 * The Slack adapter's own state in the core's `state` store: which page and which expanded claims each
 * answer message shows, and the request keys already handled (Slack's retries must not start a second
 * run). Kept in the store, so a restart (with a persistent STORE_URL) loses neither.
 */
import type { Keyv } from 'keyv';
import { z } from 'zod';
import type { ReportView } from './report-view.js';

const ViewSchema = z.object({ reportId: z.string(), page: z.number().int().nonnegative(), expanded: z.array(z.string()), askerId: z.string().optional() });

/** The view of one answer message. */
export type StoredView = ReportView & { reportId: string };

/** How long a handled request key is remembered (Slack retries within minutes). */
export const DEDUPE_TTL_MS = 60 * 60 * 1000;

/** The adapter's state. */
export interface SlackState {
  /**
   * Claims a request key (a trigger id, an event id): true the first time, false for a repeat within
   * {@link DEDUPE_TTL_MS}.
   */
  claim(key: string): Promise<boolean>;
  getView(channel: string, ts: string): Promise<StoredView | undefined>;
  setView(channel: string, ts: string, view: StoredView): Promise<void>;
  /** Runs `task` after earlier tasks with the same key (clicks on one message apply in order). */
  serialize<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/** Creates the state over a keyv store. */
export function createSlackState(store: Keyv<unknown>, now: () => number = Date.now): SlackState {
  // The in-process map makes a claim atomic between two concurrent deliveries; the store carries it
  // across restarts and processes.
  const claimed = new Map<string, number>();
  const chains = new Map<string, Promise<unknown>>();
  return {
    async claim(key) {
      const t = now();
      for (const [k, at] of claimed) {
        if (t - at < DEDUPE_TTL_MS) break;
        claimed.delete(k);
      }
      if (claimed.has(key)) return false;
      claimed.set(key, t);
      const storeKey = `slack:seen:${key}`;
      if (await store.get(storeKey)) return false;
      await store.set(storeKey, 1, DEDUPE_TTL_MS);
      return true;
    },
    async getView(channel, ts) {
      const parsed = ViewSchema.safeParse(await store.get(`slack:view:${channel}:${ts}`));
      return parsed.success ? parsed.data : undefined;
    },
    async setView(channel, ts, view) {
      await store.set(`slack:view:${channel}:${ts}`, {
        reportId: view.reportId,
        page: view.page,
        expanded: [...view.expanded],
        ...(view.askerId ? { askerId: view.askerId } : {}),
      });
    },
    serialize(key, task) {
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(task);
      chains.set(key, next);
      void next.finally(() => {
        if (chains.get(key) === next) chains.delete(key);
      }).catch(() => undefined);
      return next;
    },
  };
}
