/**
 * `@bot <question>` in a channel: the same flow as `/synthesize`, with a thread on the mentioning
 * message. Messages that mention the bot carry their content even without the privileged
 * MESSAGE_CONTENT intent. https://discord.com/developers/docs/events/gateway#message-content-intent
 */
import type { Message } from 'discord.js';
import type { JobRunner } from '../../src/jobs/runner.js';
import type { Logger } from '../../src/logger.js';
import { sanitizeQuestion } from '../../src/text/sanitize.js';
import type { RunFollower } from './flow.js';
import { loggableError, startErrorText } from './messages.js';
import type { DiscordWriter } from './rest-writes.js';
import { escapeDiscord, LIMITS, truncateWords } from './text.js';

/** What the mention handler needs. */
export interface MentionDeps {
  runner: JobRunner;
  follower: RunFollower;
  writer: DiscordWriter;
  log: Logger;
  maxRunsPerUser: number;
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
  const { runner, follower, writer, log } = deps;
  const reply = (message: Message, text: string) =>
    writer.send({ channelId: message.channelId, replyTo: message.id }, { body: { content: truncateWords(escapeDiscord(text), LIMITS.content) } });

  return async (message) => {
    try {
      const botId = message.client.user?.id;
      if (!botId || message.author.bot || message.webhookId || !message.inGuild()) return;
      const question = questionFromMention(message.content, botId);
      if (question === undefined) return;
      const active = runner.activeFor(message.author.id).length;
      if (active >= deps.maxRunsPerUser) {
        await reply(message, `You already have ${active} synthesis run(s) in progress; wait for one to finish before starting another.`);
        return;
      }
      let handle;
      let cleaned: string;
      try {
        cleaned = sanitizeQuestion(question);
        handle = await runner.start({ question }, { platform: 'discord', userId: message.author.id, channelId: message.channelId, guildId: message.guildId });
      } catch (error) {
        await reply(message, startErrorText(error));
        return;
      }
      await follower.follow(handle, { channelId: message.channelId, messageId: message.id, inThread: message.channel.isThread(), question: cleaned, askerId: message.author.id });
    } catch (error) {
      log.error({ err: loggableError(error) }, 'mention handling failed');
    }
  };
}
