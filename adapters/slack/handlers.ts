/**
 * Bolt listeners for the `/synthesize` command and `@bot` mentions. The command is admitted before
 * its ack (a refusal is the ack's ephemeral text; nothing slow comes before the ack), then the shared
 * conversation posts the parent, opens the thread and follows the run. Slack's retries
 * (`X-Slack-Retry-Num`) and repeated deliveries are recognised by their trigger or event id and never
 * start a second run. Buttons live in `interactions.ts`.
 * See https://docs.slack.dev/interactivity/implementing-slash-commands and
 * https://docs.slack.dev/reference/events/app_mention
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Core } from '../../src/core.js';
import { asSynthError, SynthError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { ChatTransport } from '../shared/chat.js';
import type { Claims } from '../shared/claims.js';
import type { Conversation } from '../shared/conversation.js';
import type { AckGate } from './ack-gate.js';
import { COMMAND, usageText } from './messages.js';
import { mrkdwnShort } from './mrkdwn.js';
import type { SlackMessage } from './progress-view.js';
import { mrkdwnMessage, slackRenderer } from './platform.js';
import type { SlackState } from './state.js';

/** What the listeners need. */
export interface HandlerDeps {
  core: Core;
  conversation: Conversation<SlackMessage>;
  transport: ChatTransport<SlackMessage>;
  claims: Claims;
  state: SlackState;
  log: Logger;
  botUserId: string;
  /** Follow-up work waits for pending acks. */
  gate: AckGate;
}

const CommandSchema = z.object({
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1),
  team_id: z.string().optional(),
});

/** A plain message event (`message.channels` / `message.groups`); edits, joins and bots' messages carry a subtype or a bot id. */
const MessageSchema = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string().default(''),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
  subtype: z.string().optional(),
  bot_id: z.string().optional(),
});

const MentionSchema = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string().default(''),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
  bot_id: z.string().optional(),
});

/** Registers the command and mention listeners. */
export function registerRunHandlers(app: App, deps: HandlerDeps): void {
  const { conversation, claims, log } = deps;

  app.command(COMMAND, async ({ command, ack, respond }) => {
    const parsed = CommandSchema.safeParse(command);
    if (!parsed.success) {
      await ack({ response_type: 'ephemeral', text: 'That request could not be read.' });
      return;
    }
    const { text, user_id: asker, channel_id: channel, trigger_id: trigger, team_id: workspace } = parsed.data;
    if (text.trim() === '') {
      await ack({ response_type: 'ephemeral', text: usageText(deps.botUserId) });
      return;
    }
    const admitted = conversation.admit(asker, text);
    if ('refusal' in admitted) {
      await ack({ response_type: 'ephemeral', text: mrkdwnShort(admitted.refusal, 500) });
      return;
    }
    await ack();
    const { admission } = admitted;
    const work = async () => {
      await deps.gate.whenIdle();
      // Slack does not retry slash commands, but a proxy or a double submit may repeat one.
      if (!(await claims.claim(`command:${trigger}`))) {
        admission.release();
        log.info({ trigger }, 'repeated /synthesize ignored');
        return;
      }
      await conversation.ask(admission, {
        channel,
        ...(workspace ? { workspace } : {}),
        tell: (message) => respond({ response_type: 'ephemeral', replace_original: false, ...message }).then(() => undefined),
      });
    };
    conversation.track(
      work().catch((error: unknown) => {
        admission.release();
        log.error({ err: error }, '/synthesize failed');
      }),
    );
  });

  const fromMention = async (mention: z.infer<typeof MentionSchema>, eventId: string, retryNum: number | undefined, workspace: string | undefined) => {
    await deps.gate.whenIdle();
    if (!(await claims.claim(`event:${eventId}`))) {
      log.info({ eventId, retryNum }, 'repeated app_mention ignored');
      return;
    }
    const place = { channel: mention.channel, ...(mention.thread_ts ? { thread: mention.thread_ts } : {}) };
    const tell = (text: string) =>
      deps.transport.ephemeral!(place, mention.user, slackRenderer.notice(text)).catch((error: unknown) => log.warn({ err: error }, 'could not send an ephemeral message'));
    const raw = mention.text.split(`<@${deps.botUserId}>`).join(' ');
    if (mention.thread_ts && raw.trim() !== '') {
      // In one of the bot's run threads a mention is a follow-up or a thread command, not a new run.
      const handled = await conversation.inThread(mention.user, raw, { channel: mention.channel, thread: mention.thread_ts, message: mention.ts, mentioned: true, ...(workspace ? { workspace } : {}) });
      if (handled !== 'not-ours') return;
    }
    if (raw.trim() === '') {
      await deps.transport.ephemeral!(place, mention.user, mrkdwnMessage(usageText(deps.botUserId))).catch((error: unknown) => log.warn({ err: error }, 'could not send an ephemeral message'));
      return;
    }
    const admitted = conversation.admit(mention.user, raw);
    if ('refusal' in admitted) {
      await tell(admitted.refusal);
      return;
    }
    await conversation.ask(admitted.admission, {
      channel: mention.channel,
      message: mention.ts,
      ...(mention.thread_ts ? { thread: mention.thread_ts } : {}),
      ...(workspace ? { workspace } : {}),
    });
  };

  app.event('app_mention', async ({ event, body, context }) => {
    // Events API requests are acked by Bolt before listeners run. A retry (X-Slack-Retry-Num: 1..3)
    // carries the event_id of the first delivery, which fromMention claims.
    const parsed = MentionSchema.safeParse(event);
    const eventId = (body as { event_id?: string }).event_id ?? `${parsed.data?.channel}:${parsed.data?.ts}`;
    if (!parsed.success || parsed.data.bot_id) return;
    conversation.track(
      fromMention(parsed.data, eventId, context.retryNum, (body as { team_id?: string }).team_id).catch((error: unknown) => log.error({ err: error }, 'app_mention failed')),
    );
  });

  // A plain reply in one of the bot's run threads (no mention: app_mention handles those) is a
  // follow-up, a thread command or chit-chat; anywhere else, and the bot's own and other bots'
  // messages, edits and joins, are left alone.
  app.event('message', async ({ event, body }) => {
    const parsed = MessageSchema.safeParse(event);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.subtype || message.bot_id || message.user === deps.botUserId || !message.thread_ts || message.thread_ts === message.ts) return;
    if (message.text.includes(`<@${deps.botUserId}>`)) return;
    const eventId = (body as { event_id?: string }).event_id ?? `${message.channel}:${message.ts}`;
    const workspace = (body as { team_id?: string }).team_id;
    conversation.track(
      (async () => {
        await deps.gate.whenIdle();
        if (!(await claims.claim(`event:${eventId}`))) return;
        await conversation.inThread(message.user, message.text, { channel: message.channel, thread: message.thread_ts!, message: message.ts, ...(workspace ? { workspace } : {}) });
      })().catch((error: unknown) => log.error({ err: error }, 'thread message failed')),
    );
  });

  app.error(async (error) => {
    log.error({ err: error instanceof SynthError ? error : asSynthError(error) }, 'unhandled error in a Slack listener');
  });
}
