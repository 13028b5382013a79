/**
 * Slack as a chat platform of the shared conversation (`../shared/chat.ts`): the transport is the rate-
 * laned gateway over the Web API (`chat.postMessage`, `chat.update`, `chat.postEphemeral`, the
 * files upload, `assistant.threads.setStatus`), the renderer draws Block Kit. Every message is checked
 * against Block Kit's limits before it is sent.
 */
import type { Logger } from '../../src/logger.js';
import { renderWords, type ChatPlatform, type ChatRenderer, type ChatTransport, type Priority, type RunOutcome, type Words } from '../shared/chat.js';
import { ACTION } from './actions.js';
import { isNotInChannel, PRIORITY, SlackApiError, type SlackGateway } from './gateway.js';
import { checkBlockLimits, LIMITS } from './limits.js';
import { inviteText } from './messages.js';
import { isUserId, mentionUser, mrkdwnShort } from './mrkdwn.js';
import { progressMessage, progressStatus, type SlackMessage } from './progress-view.js';
import { reportUrl } from '../web/links.js';
import { evidenceMessage } from './claim-view.js';
import { reportMessage } from './report-view.js';
import type { SlackState } from './state.js';

/** Slack errors meaning the status API is not available to this app at all. */
const STATUS_UNAVAILABLE = new Set(['unknown_method', 'missing_scope', 'not_allowed_token_type', 'method_deprecated', 'feature_not_enabled']);

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } });

/** A message of one mrkdwn section (already escaped), with the same fallback text. */
export function mrkdwnMessage(text: string): SlackMessage {
  return { text: text.slice(0, LIMITS.messageText), blocks: [section(text)] };
}

/** Words in mrkdwn: text escaped, users mentioned. */
export function slackWords(words: Words, max = 2900): string {
  return renderWords(words, (part) => mrkdwnShort(part, max), mentionUser);
}

/** The parent message: the question and who asked, then the outcome once the run ended. */
export function parentMessage(question: string, asker: string, outcome?: RunOutcome): SlackMessage {
  const said = outcome ? `\n${outcomeText(outcome)}` : '';
  const text = `Researching: “${mrkdwnShort(question, 2000)}”, asked by ${mentionUser(asker)}${said}`;
  return { text, blocks: [section(text)] };
}

function outcomeText(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case 'answered':
      return `:white_check_mark: Answered in the thread: ${outcome.line ?? 'see the report'} · ${outcome.claims} ${outcome.claims === 1 ? 'claim' : 'claims'}, quality ${outcome.quality}/10.`;
    case 'cancelled':
      return ':no_entry_sign: Cancelled.';
    case 'failed':
      return ':warning: The run failed; see the thread.';
    case 'undelivered':
      return ':warning: The answer could not be posted in the thread.';
    case 'refused':
      return `Not started: ${mrkdwnShort(outcome.text, 500)}`;
  }
}

/** The renderer. */
export const slackRenderer: ChatRenderer<SlackMessage> = {
  parent: ({ question, asker, outcome }) => parentMessage(question, asker, outcome),
  progress: (snapshot, { runId }) => progressMessage(snapshot, runId),
  status: progressStatus,
  answer: (report, { asker }) => {
    const fullReportUrl = reportUrl(report.id);
    return reportMessage(report, { page: 0, askerId: asker, ...(fullReportUrl ? { fullReportUrl } : {}) });
  },
  evidence: (report, claim) => evidenceMessage(report, claim),
  failure({ runId, text, retryable, cancelled }) {
    const line = cancelled ? ':no_entry_sign: *Cancelled.* No answer was posted; Retry runs the question again.' : `:warning: *The run failed.* ${mrkdwnShort(text, 2000)}`;
    const blocks: Record<string, unknown>[] = [section(line)];
    if (retryable) {
      blocks.push({
        type: 'actions',
        elements: [{ type: 'button', action_id: ACTION.retry, style: 'primary', text: { type: 'plain_text', text: 'Retry' }, value: runId }],
      });
    }
    return { text: cancelled ? 'Cancelled.' : `The run failed: ${mrkdwnShort(text, 2000)}`, blocks };
  },
  notice: (words) => mrkdwnMessage(slackWords(words)),
};

/** The metadata event type of the bot's keyed messages (a run's parent and answer). */
const METADATA_EVENT = 'synthesis_run';

const LANE: Record<Priority, number> = { background: PRIORITY.background, answer: PRIORITY.answer, interactive: PRIORITY.interactive };

/** Creates the transport over the gateway. */
export function createSlackTransport(gateway: SlackGateway, log: Logger, botUserId?: string): ChatTransport<SlackMessage> {
  let statusAvailable = true;
  const checked = (message: SlackMessage, what: string) => {
    const problems = checkBlockLimits(message.blocks);
    if (problems.length > 0) log.error({ problems, what }, 'a message breaks Block Kit limits');
    return message;
  };
  return {
    async post(place, message, options = {}) {
      const thread = place.thread ? { thread_ts: place.thread } : {};
      const metadata = options.key ? { metadata: { event_type: METADATA_EVENT, event_payload: { key: options.key } } } : {};
      const posted = await gateway.postMessage({ channel: place.channel, ...thread, ...checked(message, 'post'), ...metadata }, LANE[options.priority ?? 'background']);
      if (options.files && options.files.length > 0) await this.attach!({ channel: posted.channel, thread: place.thread ?? posted.ts }, options.files);
      return { channel: posted.channel, id: posted.ts };
    },
    async attach(place, files) {
      await gateway
        .uploadFiles({
          channel_id: place.channel,
          thread_ts: place.thread ?? '',
          initial_comment: 'The full report and its references:',
          files: files.map((f) => ({ filename: f.name, title: f.title, content: f.content })),
        })
        .catch((error: unknown) => log.warn({ err: error }, 'could not attach the report files (is files:write granted?)'));
    },
    async find(place, key) {
      // The bot's keyed messages are among the latest of a channel (a parent) or of its run's thread.
      const messages = await gateway.readMessages({ channel: place.channel, ...(place.thread ? { ts: place.thread } : {}), limit: 200 });
      const found = messages.find((m) => m.metadata?.event_type === METADATA_EVENT && m.metadata.event_payload?.key === key);
      return found ? { channel: place.channel, id: found.ts } : undefined;
    },
    async edit(ref, message, priority = 'background') {
      await gateway.update({ channel: ref.channel, ts: ref.id, ...checked(message, 'edit') }, LANE[priority]);
    },
    async ephemeral(place, user, message) {
      await gateway.postEphemeral({ channel: place.channel, user, ...message, ...(place.thread ? { thread_ts: place.thread } : {}) });
    },
    async setStatus(place, text) {
      if (!statusAvailable || !place.thread) return;
      try {
        await gateway.setStatus({ channel_id: place.channel, thread_ts: place.thread, status: text });
      } catch (error) {
        if (error instanceof SlackApiError && STATUS_UNAVAILABLE.has(error.slackError)) statusAvailable = false;
        throw error;
      }
    },
    explainFailure(error) {
      return isNotInChannel(error) ? inviteText(botUserId) : undefined;
    },
  };
}

/** Slack as a chat platform. */
export function createSlackPlatform(gateway: SlackGateway, state: SlackState, log: Logger, botUserId?: string): ChatPlatform<SlackMessage> {
  return {
    name: 'slack',
    transport: createSlackTransport(gateway, log, botUserId),
    render: slackRenderer,
    async answered(message, report, asker) {
      await state.setView(message.channel, message.id, { reportId: report.id, page: 0, ...(isUserId(asker) ? { askerId: asker } : {}) });
    },
  };
}
