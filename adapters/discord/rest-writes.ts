/**
 * The bot-token writes of the Discord adapter, on discord.js's REST client (which queues per route
 * bucket and waits out 429s): create a thread on a message, post and edit messages in a channel or
 * thread. These routes do not expire, unlike the 15-minute interaction token, so everything after the
 * first reply goes through here. Every body carries `allowed_mentions: { parse: [] }` (an answer may
 * list its asker in `users`).
 * https://discord.com/developers/docs/resources/message and https://discord.com/developers/docs/resources/channel#start-thread-from-message
 */
import { Routes, type APIAllowedMentions, ThreadAutoArchiveDuration, type APIChannel, type APIMessage, type REST, type RESTPatchAPIChannelMessageJSONBody, type RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import type { MessagePayload } from './render-report.js';
import { cleanText } from '../../src/text/sanitize.js';
import { LIMITS, truncateWords } from './text.js';

/** Nobody is pinged by anything the bot posts, including the author of a message it replies to. */
export const NO_MENTIONS: APIAllowedMentions = { parse: [], replied_user: false };

/**
 * The mentions a posted message allows: none, except users the payload lists that its content
 * mentions (the asker of an answer). Never `@everyone`, roles, or the author of a replied-to message.
 */
export function allowedMentions(body: RESTPostAPIChannelMessageJSONBody): APIAllowedMentions {
  const content = body.content ?? '';
  const users = (body.allowed_mentions?.users ?? []).filter((id) => /^\d{17,20}$/.test(id) && content.includes(`<@${id}>`));
  return users.length > 0 ? { ...NO_MENTIONS, users } : NO_MENTIONS;
}

/** Where a run's progress and answer go: a thread, or the channel itself (replying to `replyTo`). */
export interface RunTarget {
  channelId: string;
  replyTo?: string;
  /** Shown at the top of the progress message (e.g. why there is no thread). */
  note?: string;
}

/** The writes the adapter makes with the bot token. */
export interface DiscordWriter {
  /** Starts a public thread on a message; resolves to the thread's channel id. */
  startThread(channelId: string, messageId: string, name: string): Promise<string>;
  /** Posts a message (with files when given); resolves to its id. */
  send(target: RunTarget, payload: MessagePayload): Promise<string>;
  /** Edits a message's content or components. */
  edit(channelId: string, messageId: string, body: RESTPatchAPIChannelMessageJSONBody): Promise<void>;
}

/** A thread name from a question: `Research: …`, within 100 characters, at a word boundary. */
export function threadName(question: string): string {
  // Thread names are plain text (no markdown is rendered), so they are cleaned, not escaped.
  return truncateWords(`Research: ${cleanText(question)}`, LIMITS.threadName);
}

/**
 * Runs `work` after every earlier call with the same key has settled. discord.js's REST client puts
 * requests issued before it learned a route's bucket hash in a different queue from later ones, and
 * the two queues do not share a 429's reset; one request at a time per route and channel keeps every
 * 429 honoured (the route allows one at a time anyway once its bucket is known).
 */
function createSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    tails.set(key, run);
    void run.catch(() => undefined).finally(() => {
      if (tails.get(key) === run) tails.delete(key);
    });
    return run;
  };
}

/** Creates the writer over discord.js's REST client (`client.rest`). */
export function createDiscordWriter(rest: REST): DiscordWriter {
  const serial = createSerializer();
  return {
    startThread: (channelId, messageId, name) => serial(`thread:${channelId}`, async () => {
      const thread = (await rest.post(Routes.threads(channelId, messageId), {
        body: { name, auto_archive_duration: ThreadAutoArchiveDuration.OneDay },
        reason: 'Research synthesis progress and answer',
      })) as APIChannel;
      return thread.id;
    }),
    send: (target, payload) => serial(`post:${target.channelId}`, async () => {
      const body: RESTPostAPIChannelMessageJSONBody = { ...payload.body, allowed_mentions: allowedMentions(payload.body) };
      if (target.replyTo) body.message_reference = { message_id: target.replyTo, fail_if_not_exists: false };
      const message = (await rest.post(Routes.channelMessages(target.channelId), {
        body,
        ...(payload.files && payload.files.length > 0 ? { files: payload.files } : {}),
      })) as APIMessage;
      return message.id;
    }),
    edit: (channelId, messageId, body) => serial(`edit:${channelId}`, async () => {
      await rest.patch(Routes.channelMessage(channelId, messageId), { body: { ...body, allowed_mentions: NO_MENTIONS } });
    }),
  };
}
