/**
 * The Slack adapter's own state in the core's `state` store: which page of claims each answer message
 * shows and who asked it (mentioned when it is redrawn). Kept in the store, so a restart (with a
 * persistent STORE_URL) does not lose it. Request keys already handled are the shared `Claims`.
 */
import type { Keyv } from 'keyv';
import { z } from 'zod';
import type { ReportView } from './report-view.js';

// `expanded` was written by earlier versions (claims expanded in place); it is read and ignored.
const ViewSchema = z.object({ reportId: z.string(), page: z.number().int().nonnegative(), askerId: z.string().optional() });

/** The view of one answer message. */
export type StoredView = ReportView & { reportId: string };

/** The adapter's state. */
export interface SlackState {
  getView(channel: string, ts: string): Promise<StoredView | undefined>;
  setView(channel: string, ts: string, view: StoredView): Promise<void>;
  /** Runs `task` after earlier tasks with the same key (clicks on one message apply in order). */
  serialize<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/** Creates the state over a keyv store. */
export function createSlackState(store: Keyv<unknown>): SlackState {
  const chains = new Map<string, Promise<unknown>>();
  return {
    async getView(channel, ts) {
      const parsed = ViewSchema.safeParse(await store.get(`slack:view:${channel}:${ts}`));
      return parsed.success ? parsed.data : undefined;
    },
    async setView(channel, ts, view) {
      await store.set(`slack:view:${channel}:${ts}`, { reportId: view.reportId, page: view.page, ...(view.askerId ? { askerId: view.askerId } : {}) });
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
