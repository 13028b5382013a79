/**
 * What the Slack bot says that is Slack's own: the usage and the "invite me" notice. Failures and
 * refusals are worded once for every platform in `../shared/texts.ts`.
 */
import type { Words } from '../shared/chat.js';
import { mentionUser } from './mrkdwn.js';

/** The slash command this app registers (manifest.json). */
export const COMMAND = '/synthesize';

/** Ephemeral answer to an empty `/synthesize` or an empty mention. */
export function usageText(botUserId?: string): string {
  const mention = botUserId ? `, or mention ${mentionUser(botUserId)} with your question` : '';
  return (
    `Ask a research question: \`${COMMAND} Does vitamin D reduce fracture risk?\`${mention}. ` +
    'I search the literature, check each claim against other papers and post the answer in a thread.'
  );
}

/** Ephemeral notice when the bot cannot post in the channel. */
export function inviteText(botUserId?: string): Words {
  return ["I can't post in this channel yet. Type `/invite ", botUserId ? { user: botUserId } : 'the bot', `\` here, then run \`${COMMAND}\` again.`];
}
