/**
 * `@bot <question>` in a channel: the same conversation as `/synthesize`, with a thread on the
 * mentioning message. Messages that mention the bot carry their content even without the privileged
 * MESSAGE_CONTENT intent. https://discord.com/developers/docs/events/gateway#message-content-intent
 */
import type { Message } from 'discord.js';
import type { Logger } from '../../src/logger.js';
import type { Conversation } from '../shared/conversation.js';
import { loggableError } from './messages.js';
import { discordRenderer } from './platform.js';
import type { MessagePayload } from './render-report.js';
import type { DiscordWriter } from './rest-writes.js';

/** What the mention handler needs. */
export interface MentionDeps {
  conversation: Conversation<MessagePayload>;
  writer: DiscordWriter;
  log: Logger;
}

/** The question in a message that mentions the bot, or undefined when the bot is not mentioned by name. */
export function questionFromMention(content: string, botId: string): string | undefined {
  const mention = new RegExp(`<@!?${botId}>`, 'g');
  // Replies to the bot list it in `mentions` without naming it: only an explicit mention counts.
  if (!mention.test(content)) return undefined;
  return content.replace(mention, ' ').trim();
}

/** Creates the `messageCreate` listener. */
export function createMentionHandler(deps: MentionDeps): (message: Message) => Promise<void> {
  const { conversation, writer, log } = deps;
  return async (message) => {
    try {
      const botId = message.client.user?.id;
      if (!botId || message.author.bot || message.webhookId || !message.inGuild()) return;
      const question = questionFromMention(message.content, botId);
      if (question === undefined) return;
      const inThread = message.channel.isThread();
      // A thread is addressed by its parent channel and its own id, as the run that opened it recorded it.
      const channel = inThread ? (message.channel.parentId ?? message.channelId) : message.channelId;
      if (inThread && question !== '') {
        // In one of the bot's run threads a mention is a follow-up or a thread command, not a new run.
        const handled = await conversation.inThread(message.author.id, question, { channel, thread: message.channelId, message: message.id, workspace: message.guildId, mentioned: true });
        if (handled !== 'not-ours') return;
      }
      const admitted = conversation.admit(message.author.id, question);
      if ('refusal' in admitted) {
        // No ephemeral replies outside interactions: a reply to the message (it pings nobody).
        await writer.send({ channelId: message.channelId, replyTo: message.id }, discordRenderer.notice(admitted.refusal));
        return;
      }
      await conversation.ask(admitted.admission, {
        channel,
        message: message.id,
        ...(inThread ? { thread: message.channelId } : {}),
        workspace: message.guildId,
      });
    } catch (error) {
      log.error({ err: loggableError(error) }, 'mention handling failed');
    }
  };
}
