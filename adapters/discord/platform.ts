/**
 * Discord as a chat platform of the shared conversation (`../shared/chat.ts`): the transport is the
 * bot-token REST writer (threads on messages, posts with attached files, edits; these routes do not
 * expire like the 15-minute interaction token), the renderer draws message content, embeds and
 * components. Nobody is pinged but an answer's asker (`rest-writes.ts`).
 */
import { createHash } from 'node:crypto';
import { ButtonStyle, ComponentType, type RawFile } from 'discord.js';
import { renderWords, type ChatPlatform, type ChatRenderer, type ChatTransport, type RunOutcome, type Words } from '../shared/chat.js';
import type { ReportFile } from '../shared/files.js';
import { cancelButtonId, retryButtonId } from './custom-id.js';
import { isMissingPermission, threadFallbackNote } from './messages.js';
import { renderProgress } from './render-progress.js';
import { reportUrl } from '../web/links.js';
import { renderClaimDetail } from './render-claim.js';
import { renderAnswerMessage, type MessagePayload } from './render-report.js';
import { threadName, type DiscordWriter } from './rest-writes.js';
import { escapeDiscord, LIMITS, truncateWords } from './text.js';

const SNOWFLAKE = /^\d{17,20}$/;

/** Words as Discord markdown: text escaped, users as `<@id>` (which `allowed_mentions` keeps from pinging). */
export function discordWords(words: Words): string {
  return renderWords(words, escapeDiscord, (id) => (SNOWFLAKE.test(id) ? `<@${id}>` : escapeDiscord(id)));
}

/** The parent reply while a run is going, and with its outcome after it ended. */
export function parentContent(question: string, outcome?: RunOutcome): string {
  const q = escapeDiscord(question);
  let text: string;
  switch (outcome?.kind) {
    case undefined:
      text = `🔎 **Researching:** ${q}\nProgress and the answer follow in the thread.`;
      break;
    case 'answered':
      text = `✅ **Researched:** ${q}\n${outcome.line ? `${escapeDiscord(outcome.line)} · ` : ''}${outcome.claims} ${outcome.claims === 1 ? 'claim' : 'claims'}, quality ${outcome.quality}/10. The answer is in the thread.`;
      break;
    case 'undelivered':
      text = `⚠️ **Researched:** ${q}\nI may not post in this channel (the bot lacks the Send Messages permission here), so the answer follows as a reply to this command.`;
      break;
    case 'cancelled':
      text = `🚫 **Cancelled:** ${q}`;
      break;
    case 'failed':
      text = `❌ **Research failed:** ${q}\nThe reason is in the thread.`;
      break;
    case 'refused':
      text = `❌ **Not started:** ${q}\n${escapeDiscord(outcome.text)}`;
      break;
  }
  return truncateWords(text, LIMITS.content);
}

const button = (customId: string, label: string, style: ButtonStyle.Primary | ButtonStyle.Secondary) => ({
  type: ComponentType.ActionRow as const,
  components: [{ type: ComponentType.Button as const, custom_id: customId, style, label }],
});

/** The renderer. */
export const discordRenderer: ChatRenderer<MessagePayload> = {
  parent: ({ question, outcome }) => ({ body: { content: parentContent(question, outcome) } }),
  progress(snapshot, { runId, note }) {
    const prefix = note ? `ℹ️ ${escapeDiscord(note)}\n` : '';
    const running = !snapshot.finished && !snapshot.failed;
    return {
      body: {
        content: prefix + renderProgress(snapshot, LIMITS.content - prefix.length),
        // An edit without the Cancel row removes it once the run has ended.
        components: running ? [button(cancelButtonId(runId), 'Cancel', ButtonStyle.Secondary)] : [],
      },
    };
  },
  answer: (report, { asker }) => {
    const fullReportUrl = reportUrl(report.id);
    return renderAnswerMessage(report, { askerId: asker, ...(fullReportUrl ? { fullReportUrl } : {}) });
  },
  evidence: (report, claim) => ({ body: { embeds: [renderClaimDetail(report, claim)], components: [] } }),
  failure: ({ runId, text, retryable, cancelled }) => ({
    body: {
      content: truncateWords(cancelled ? '🚫 **Cancelled.** No answer was posted; Retry runs the question again.' : `**The run failed.** ${escapeDiscord(text)}`, LIMITS.content),
      components: retryable ? [button(retryButtonId(runId), 'Retry', ButtonStyle.Primary)] : [],
    },
  }),
  notice: (words) => ({ body: { content: truncateWords(discordWords(words), LIMITS.content), components: [] } }),
};

/** Report files as discord.js uploads them. */
export function rawFiles(files: readonly ReportFile[]): RawFile[] {
  return files.map((f) => ({ name: f.name, data: Buffer.from(f.content, 'utf8'), contentType: f.contentType }));
}

/** A payload with files attached (their `attachments` entries described). */
export function withFiles(message: MessagePayload, files: readonly ReportFile[] | undefined): MessagePayload {
  if (!files || files.length === 0) return message;
  return {
    body: { ...message.body, attachments: files.map((f, i) => ({ id: String(i), filename: f.name, description: f.title })) },
    files: rawFiles(files),
  };
}

/** A message nonce (at most 25 characters) from a delivery key. */
export function nonceOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}

/** Creates the transport over the bot-token writer. */
export function createDiscordTransport(writer: DiscordWriter): ChatTransport<MessagePayload> {
  return {
    async post(place, message, options = {}) {
      const channelId = place.thread ?? place.channel;
      const payload = withFiles(message, options.files);
      // A keyed post carries an enforced nonce: posted again (a run resumed after a crash), Discord
      // returns the message the first post made instead of a second one.
      const keyed = options.key ? { ...payload, body: { ...payload.body, nonce: nonceOf(options.key), enforce_nonce: true } } : payload;
      const id = await writer.send({ channelId, ...(place.replyTo ? { replyTo: place.replyTo } : {}) }, keyed);
      return { channel: channelId, id };
    },
    async edit(ref, next) {
      const { content, embeds, components } = next.body;
      await writer.edit(ref.channel, ref.id, { ...(content !== undefined ? { content } : {}), ...(embeds ? { embeds } : {}), ...(components ? { components } : {}) });
    },
    async openThread(parent, question) {
      try {
        return { channel: parent.channel, thread: await writer.startThread(parent.channel, parent.id, threadName(question)) };
      } catch (error) {
        // No permission (or a channel type without threads): the run reports in the channel as replies.
        return { channel: parent.channel, replyTo: parent.id, note: threadFallbackNote(isMissingPermission(error)) };
      }
    },
    explainFailure(error) {
      return isMissingPermission(error) ? 'I may not post in this channel (the bot lacks the Send Messages permission here).' : undefined;
    },
  };
}

/** Discord as a chat platform. */
export function createDiscordPlatform(writer: DiscordWriter): ChatPlatform<MessagePayload> {
  return { name: 'discord', transport: createDiscordTransport(writer), render: discordRenderer };
}
