/**
 * Bolt listeners for the `/synthesize` command and `@bot` mentions: ack first (nothing slow before the
 * ack), then post the parent message, start the job and follow it in the thread. Slack's retries
 * (`X-Slack-Retry-Num`) and repeated deliveries are recognised by their trigger or event id and never
 * start a second run. Buttons live in `interactions.ts`.
 * See https://docs.slack.dev/interactivity/implementing-slash-commands and
 * https://docs.slack.dev/reference/events/app_mention
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Core } from '../../src/core.js';
import { asSynthError, SynthError } from '../../src/errors.js';
import type { JobOrigin } from '../../src/jobs/job.js';
import type { Logger } from '../../src/logger.js';
import { sanitizeQuestion } from '../../src/text/sanitize.js';
import type { AckGate } from './ack-gate.js';
import { isNotInChannel, PRIORITY, type SlackGateway } from './gateway.js';
import { COMMAND, inviteText, usageText, waitText } from './messages.js';
import { mrkdwnShort } from './mrkdwn.js';
import type { RunPlace, RunSessions } from './run-session.js';
import type { SlackState } from './state.js';

/** What the listeners need. */
export interface HandlerDeps {
  core: Core;
  gateway: SlackGateway;
  sessions: RunSessions;
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

const MentionSchema = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string().default(''),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
  bot_id: z.string().optional(),
});

/** Either a valid question or the reason it is not one (mrkdwn). */
function checkQuestion(raw: string): { question: string } | { problem: string } {
  try {
    return { question: sanitizeQuestion(raw) };
  } catch (error) {
    return { problem: mrkdwnShort(asSynthError(error).message, 500) };
  }
}

/** Starts a job for a place and follows it; throws `rate_limited` or `usage` from the runner. */
export async function startRun(deps: HandlerDeps, place: RunPlace, teamId?: string): Promise<void> {
  const origin: JobOrigin = { platform: 'slack', userId: place.userId, channel: place.channel, threadTs: place.threadTs };
  if (place.parentTs) origin.parentTs = place.parentTs;
  if (teamId) origin.teamId = teamId;
  const handle = await deps.core.runner.start({ question: place.question }, origin);
  void deps.sessions.follow(handle, place);
}

/** Registers the command and mention listeners. */
export function registerRunHandlers(app: App, deps: HandlerDeps): void {
  const { core, gateway, sessions, state, log } = deps;
  const limit = core.config.SYNTH_MAX_RUNS_PER_USER;

  const fromCommand = async (command: z.infer<typeof CommandSchema>, question: string, respond: (text: string) => Promise<unknown>) => {
    await deps.gate.whenIdle();
    // Slack does not retry slash commands, but a proxy or a double submit may repeat one.
    if (!(await state.claim(`command:${command.trigger_id}`))) {
      log.info({ trigger: command.trigger_id }, 'repeated /synthesize ignored');
      return;
    }
    const place: RunPlace = { channel: command.channel_id, threadTs: '', userId: command.user_id, question };
    let parent: { ts: string };
    try {
      parent = await gateway.postMessage({ channel: place.channel, ...sessions.parentMessage(place) }, PRIORITY.interactive);
    } catch (error) {
      if (isNotInChannel(error)) await respond(inviteText(deps.botUserId));
      else await respond(`I couldn't post in this channel (${mrkdwnShort(asSynthError(error).message, 300)}).`);
      log.warn({ err: error, channel: place.channel }, 'could not post the parent message');
      return;
    }
    place.threadTs = parent.ts;
    place.parentTs = parent.ts;
    try {
      await startRun(deps, place, command.team_id);
    } catch (error) {
      const failure = asSynthError(error);
      const text = failure.code === 'rate_limited' ? waitText(core.runner.activeFor(place.userId).length) : mrkdwnShort(failure.message, 500);
      await gateway.update({ channel: place.channel, ts: parent.ts, ...sessions.parentMessage(place, `Not started: ${text}`) }, PRIORITY.interactive);
    }
  };

  const fromMention = async (mention: z.infer<typeof MentionSchema>, eventId: string, retryNum: number | undefined, teamId: string | undefined) => {
    await deps.gate.whenIdle();
    if (!(await state.claim(`event:${eventId}`))) {
      log.info({ eventId, retryNum }, 'repeated app_mention ignored');
      return;
    }
    const threadTs = mention.thread_ts ?? mention.ts;
    const tell = (text: string) =>
      gateway.postEphemeral({ channel: mention.channel, user: mention.user, text, ...(mention.thread_ts ? { thread_ts: mention.thread_ts } : {}) }).catch((error: unknown) => {
        log.warn({ err: error }, 'could not send an ephemeral message');
      });
    const raw = mention.text.split(`<@${deps.botUserId}>`).join(' ');
    const checked = raw.trim() === '' ? { problem: usageText(deps.botUserId) } : checkQuestion(raw);
    if ('problem' in checked) {
      await tell(checked.problem);
      return;
    }
    try {
      await startRun(deps, { channel: mention.channel, threadTs, userId: mention.user, question: checked.question }, teamId);
    } catch (error) {
      const failure = asSynthError(error);
      await tell(failure.code === 'rate_limited' ? waitText(core.runner.activeFor(mention.user).length) : mrkdwnShort(failure.message, 500));
    }
  };

  app.command(COMMAND, async ({ command, ack, respond }) => {
    const parsed = CommandSchema.safeParse(command);
    if (!parsed.success) {
      await ack({ response_type: 'ephemeral', text: 'That request could not be read.' });
      return;
    }
    const checked = parsed.data.text.trim() === '' ? { problem: usageText(deps.botUserId) } : checkQuestion(parsed.data.text);
    if ('problem' in checked) {
      await ack({ response_type: 'ephemeral', text: checked.problem });
      return;
    }
    const active = core.runner.activeFor(parsed.data.user_id).length;
    if (active >= limit) {
      await ack({ response_type: 'ephemeral', text: waitText(active) });
      return;
    }
    await ack();
    const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    sessions.track(fromCommand(parsed.data, checked.question, say).catch((error: unknown) => log.error({ err: error }, '/synthesize failed')));
  });

  app.event('app_mention', async ({ event, body, context }) => {
    // Events API requests are acked by Bolt before listeners run. A retry (X-Slack-Retry-Num: 1..3)
    // carries the event_id of the first delivery, which fromMention claims.
    const parsed = MentionSchema.safeParse(event);
    const eventId = (body as { event_id?: string }).event_id ?? `${parsed.data?.channel}:${parsed.data?.ts}`;
    if (!parsed.success || parsed.data.bot_id) return;
    sessions.track(fromMention(parsed.data, eventId, context.retryNum, (body as { team_id?: string }).team_id).catch((error: unknown) => log.error({ err: error }, 'app_mention failed')));
  });

  app.error(async (error) => {
    log.error({ err: error instanceof SynthError ? error : asSynthError(error) }, 'unhandled error in a Slack listener');
  });
}
