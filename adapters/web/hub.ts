/**
 * The web's "chat server": each visitor's channel is a list of messages (parents, progress, answers,
 * failures, notices), kept in the state store so a reload or a restart shows the same threads, and
 * pushed to the visitor's open pages (server-sent events) as each is posted or edited.
 */
import { randomUUID } from 'node:crypto';
import type { Keyv } from 'keyv';

/** What the renderer draws: escaped HTML and one plain line (for announcements). */
export interface WebMessage {
  /** `said`: a visitor's own message in a thread (a follow-up); `evidence`: one claim explained there. */
  kind: 'parent' | 'progress' | 'answer' | 'failure' | 'notice' | 'said' | 'evidence';
  html: string;
  text: string;
  /** The run (or report) the message is about: progress and failures carry it, for Cancel and Retry. */
  run?: string;
}

/** A message in a channel. */
export interface PostedMessage extends WebMessage {
  id: string;
  channel: string;
  /** The parent's id for messages in a thread; absent for a parent. */
  thread?: string;
  /** Posted at (ms since the epoch). */
  at: number;
  /** Incremented by every edit. */
  rev: number;
  /** Shown to the open pages only, not kept (a notice for the visitor). */
  ephemeral?: boolean;
  /** The conversation's key for a post it may look for again after a crash (`run:parent`, `run:answer`). */
  key?: string;
}

/** Options of {@link createHub}. */
export interface HubOptions {
  state: Keyv<unknown>;
  /** Threads kept per channel; older ones are dropped (default 30). */
  maxThreads?: number;
  /** How long a channel is kept without activity (default 30 days). */
  ttlMs?: number;
}

/** The hub. */
export interface Hub {
  post(channel: string, thread: string | undefined, message: WebMessage, options?: { ephemeral?: boolean; key?: string }): Promise<PostedMessage>;
  /** The message posted in a channel with this key, if any. */
  find(channel: string, key: string): Promise<PostedMessage | undefined>;
  /** Replaces a message; undefined when it is not in that channel. */
  edit(channel: string, id: string, message: WebMessage): Promise<PostedMessage | undefined>;
  get(channel: string, id: string): Promise<PostedMessage | undefined>;
  /** The channel's messages, oldest first. */
  list(channel: string): Promise<PostedMessage[]>;
  /** Calls `listener` with every message posted or edited in the channel from now on. */
  subscribe(channel: string, listener: (message: PostedMessage) => void): () => void;
}

interface Channel {
  ids: string[];
  messages: Map<string, PostedMessage>;
  /** Writes to the store, in order. */
  writes: Promise<unknown>;
}

const channelKey = (channel: string) => `web:channel:${channel}`;
const messageKey = (id: string) => `web:message:${id}`;

/** Creates the hub over the state store. */
export function createHub(options: HubOptions): Hub {
  const { state } = options;
  const maxThreads = options.maxThreads ?? 30;
  const ttlMs = options.ttlMs ?? 30 * 86_400_000;
  const channels = new Map<string, Promise<Channel>>();
  const listeners = new Map<string, Set<(message: PostedMessage) => void>>();

  const load = (channel: string): Promise<Channel> => {
    let pending = channels.get(channel);
    if (!pending) {
      pending = (async () => {
        const ids = ((await state.get(channelKey(channel))) as string[] | undefined) ?? [];
        const loaded = await Promise.all(ids.map(async (id) => (await state.get(messageKey(id))) as PostedMessage | undefined));
        const messages = new Map<string, PostedMessage>();
        for (const m of loaded) if (m && m.channel === channel) messages.set(m.id, m);
        return { ids: ids.filter((id) => messages.has(id)), messages, writes: Promise.resolve() };
      })();
      channels.set(channel, pending);
      pending.catch(() => channels.delete(channel));
      // Keep the most recently used channels in memory only.
      if (channels.size > 500) channels.delete(channels.keys().next().value as string);
    }
    return pending;
  };

  const write = (c: Channel, work: () => Promise<unknown>) => {
    c.writes = c.writes.then(work).catch(() => undefined);
    return c.writes;
  };

  const publish = (message: PostedMessage) => {
    for (const listener of listeners.get(message.channel) ?? []) {
      try {
        listener(message);
      } catch {
        // A closed page's stream; it unsubscribes itself.
      }
    }
  };

  /** Drops the oldest threads past the limit (their parents and replies). */
  const trim = (c: Channel): string[] => {
    const parents = c.ids.filter((id) => !c.messages.get(id)?.thread);
    if (parents.length <= maxThreads) return [];
    const dropped = new Set(parents.slice(0, parents.length - maxThreads));
    const gone = c.ids.filter((id) => dropped.has(id) || dropped.has(c.messages.get(id)?.thread ?? ''));
    for (const id of gone) c.messages.delete(id);
    c.ids = c.ids.filter((id) => c.messages.has(id));
    return gone;
  };

  return {
    async post(channel, thread, message, postOptions = {}) {
      const c = await load(channel);
      const posted: PostedMessage = { ...message, id: randomUUID(), channel, ...(thread ? { thread } : {}), at: Date.now(), rev: 0 };
      if (postOptions.key) posted.key = postOptions.key;
      if (postOptions.ephemeral) posted.ephemeral = true;
      else {
        c.messages.set(posted.id, posted);
        c.ids.push(posted.id);
        const gone = trim(c);
        const ids = [...c.ids];
        publish(posted);
        await write(c, async () => {
          await state.set(messageKey(posted.id), posted, ttlMs);
          await state.set(channelKey(channel), ids, ttlMs);
          await Promise.all(gone.map((id) => state.delete(messageKey(id))));
        });
        return posted;
      }
      publish(posted);
      return posted;
    },
    async edit(channel, id, message) {
      const c = await load(channel);
      const current = c.messages.get(id);
      if (!current) return undefined;
      const next: PostedMessage = { ...current, ...message, rev: current.rev + 1 };
      c.messages.set(id, next);
      publish(next);
      await write(c, () => state.set(messageKey(id), next, ttlMs));
      return next;
    },
    async find(channel, key) {
      const c = await load(channel);
      return [...c.messages.values()].find((m) => m.key === key);
    },
    async get(channel, id) {
      return (await load(channel)).messages.get(id);
    },
    async list(channel) {
      const c = await load(channel);
      return c.ids.map((id) => c.messages.get(id)!).filter(Boolean);
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(channel);
      };
    },
  };
}
