/**
 * The Web API calls the bot makes, scheduled within Slack's published rate limits so that Slack never
 * has to answer 429: `chat.postMessage` about one per second per channel with a short burst, `chat.update`
 * Tier 3 (about 50 per minute per workspace), uploads and statuses in their own lanes. Scheduling uses
 * p-queue's sliding-window limiter; the WebClient still retries a 429 after `Retry-After` as a last resort.
 * Errors come back as {@link SlackApiError} carrying Slack's error string (`not_in_channel`, ...).
 * See https://docs.slack.dev/apis/web-api/rate-limits
 */
import type { WebClient } from '@slack/web-api';
import PQueue from 'p-queue';
import { SynthError } from '../../src/errors.js';

/** One lane's budget: at most `cap` calls in any `intervalMs` window. */
export interface Lane {
  cap: number;
  intervalMs: number;
}

/** The budgets the gateway keeps to. */
export interface RateLimits {
  /** `chat.postMessage`, per channel. */
  postPerChannel: Lane;
  /** `chat.update`, per workspace. */
  update: Lane;
  /** `assistant.threads.setStatus`, per workspace. */
  status: Lane;
  /** `chat.postEphemeral` and file uploads, per workspace. */
  other: Lane;
}

/**
 * Slack's limits with some headroom: 3 posts per 3 s per channel (1/s with a burst of 3), 5 updates per
 * 6 s (50 per minute), statuses 10 per 10 s, everything else 20 per 10 s.
 */
export const SLACK_RATE_LIMITS: RateLimits = {
  postPerChannel: { cap: 3, intervalMs: 3000 },
  update: { cap: 5, intervalMs: 6000 },
  status: { cap: 10, intervalMs: 10_000 },
  other: { cap: 20, intervalMs: 10_000 },
};

/** Higher runs first within a lane. */
export const PRIORITY = { background: 0, answer: 1, interactive: 2 } as const;

/** A failed Web API call; `slackError` is Slack's `error` string, e.g. `not_in_channel`. */
export class SlackApiError extends SynthError {
  readonly method: string;
  readonly slackError: string;

  constructor(method: string, slackError: string, options?: { cause?: unknown }) {
    super('internal', `Slack ${method} failed: ${slackError}`, options);
    this.name = 'SlackApiError';
    this.method = method;
    this.slackError = slackError;
  }
}

/** Errors meaning the bot cannot post in a channel. */
export function isNotInChannel(error: unknown): boolean {
  return error instanceof SlackApiError && ['not_in_channel', 'channel_not_found', 'is_archived'].includes(error.slackError);
}

/** A message to post or update. */
export interface OutgoingMessage {
  channel: string;
  text: string;
  blocks?: Record<string, unknown>[];
  thread_ts?: string;
  /** https://docs.slack.dev/messaging/message-metadata */
  metadata?: { event_type: string; event_payload: Record<string, string> };
}

/** A file to attach. */
export interface OutgoingFile {
  filename: string;
  title: string;
  content: string;
}

/** The scheduled calls. */
export interface SlackGateway {
  postMessage(message: OutgoingMessage, priority?: number): Promise<{ channel: string; ts: string }>;
  update(message: OutgoingMessage & { ts: string }, priority?: number): Promise<void>;
  postEphemeral(message: OutgoingMessage & { user: string }): Promise<void>;
  setStatus(args: { channel_id: string; thread_ts: string; status: string }): Promise<void>;
  uploadFiles(args: { channel_id: string; thread_ts: string; initial_comment: string; files: OutgoingFile[] }): Promise<void>;
  /** Opens a modal for the user of a click (`trigger_id`, valid 3 s). */
  openView(args: { trigger_id: string; view: Record<string, unknown> }): Promise<void>;
  /** Recent messages of a channel (`ts` unset) or of a thread, with their metadata. */
  readMessages(args: { channel: string; ts?: string; limit: number }): Promise<{ ts: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[]>;
  /** Calls waiting in the lanes (for tests and the bench). */
  pending(): number;
  /** Drops calls that have not started. */
  clear(): void;
}

function toSlackError(method: string, error: unknown): SlackApiError {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  const code = typeof data?.error === 'string' ? data.error : (error as { code?: string } | undefined)?.code ?? 'request_failed';
  return new SlackApiError(method, code, { cause: error });
}

/** Creates the gateway over a WebClient. */
export function createSlackGateway(client: WebClient, limits: RateLimits = SLACK_RATE_LIMITS): SlackGateway {
  const lane = (l: Lane) => new PQueue({ intervalCap: l.cap, interval: l.intervalMs, strict: true });
  const updates = lane(limits.update);
  const statuses = lane(limits.status);
  const other = lane(limits.other);
  const channels = new Map<string, PQueue>();

  const channelLane = (channel: string) => {
    let queue = channels.get(channel);
    if (!queue) {
      const created = lane(limits.postPerChannel);
      channels.set(channel, created);
      // Forget idle channels once their window has passed, so the map does not grow for ever.
      created.on('idle', () => {
        setTimeout(() => {
          if (created.size === 0 && created.pending === 0 && channels.get(channel) === created) channels.delete(channel);
        }, limits.postPerChannel.intervalMs).unref();
      });
      queue = created;
    }
    return queue;
  };

  const call = async <T>(queue: PQueue, method: string, run: () => Promise<T>, priority: number): Promise<T> => {
    try {
      return (await queue.add(run, { priority })) as T;
    } catch (error) {
      throw toSlackError(method, error);
    }
  };

  return {
    async postMessage(message, priority = PRIORITY.background) {
      const result = await call(
        channelLane(message.channel),
        'chat.postMessage',
        () => client.chat.postMessage({ ...message, parse: 'none', link_names: false, unfurl_links: false, unfurl_media: false }),
        priority,
      );
      return { channel: result.channel ?? message.channel, ts: result.ts! };
    },
    async update(message, priority = PRIORITY.background) {
      // chat.update parses text as `client` unless told otherwise; nothing the bot sends wants parsing.
      await call(updates, 'chat.update', () => client.chat.update({ ...message, parse: 'none', link_names: false }), priority);
    },
    async postEphemeral(message) {
      await call(other, 'chat.postEphemeral', () => client.chat.postEphemeral(message), PRIORITY.interactive);
    },
    async setStatus(args) {
      await call(statuses, 'assistant.threads.setStatus', () => client.assistant.threads.setStatus(args), PRIORITY.background);
    },
    async uploadFiles({ channel_id, thread_ts, initial_comment, files }) {
      await call(
        other,
        'files.uploadV2',
        () => client.filesUploadV2({ channel_id, thread_ts, initial_comment, file_uploads: files.map((f) => ({ filename: f.filename, title: f.title, content: f.content })) }),
        PRIORITY.answer,
      );
    },
    async openView({ trigger_id, view }) {
      await call(other, 'views.open', () => client.views.open({ trigger_id, view: view as never }), PRIORITY.interactive);
    },
    async readMessages({ channel, ts, limit }) {
      type Listed = { messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[] };
      const result = (await call(
        other,
        ts ? 'conversations.replies' : 'conversations.history',
        () => (ts ? client.conversations.replies({ channel, ts, limit, include_all_metadata: true }) : client.conversations.history({ channel, limit, include_all_metadata: true })),
        PRIORITY.answer,
      )) as Listed;
      return (result.messages ?? []).filter((m): m is { ts: string } & typeof m => typeof m.ts === 'string');
    },
    pending() {
      return [updates, statuses, other, ...channels.values()].reduce((n, q) => n + q.size + q.pending, 0);
    },
    clear() {
      for (const q of [updates, statuses, other, ...channels.values()]) q.clear();
    },
  };
}
