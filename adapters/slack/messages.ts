/**
 * What the Slack bot says to people, in one place: usage, the "invite me" and "wait" notices, and one
 * table from error codes to explanations.
 */
import type { ErrorCode } from '../../src/errors.js';
import { mentionUser, mrkdwnShort } from './mrkdwn.js';

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
export function inviteText(botUserId?: string): string {
  const who = botUserId ? mentionUser(botUserId) : 'the bot';
  return `I can't post in this channel yet. Type \`/invite ${who}\` here, then run \`${COMMAND}\` again.`;
}

/** Ephemeral notice when the user already has as many runs going as allowed. */
export function waitText(active: number): string {
  return `You already have ${active} synthesis run${active === 1 ? '' : 's'} in progress. Wait for one to finish, then ask again.`;
}

const REASONS: Partial<Record<ErrorCode | 'interrupted', string>> = {
  usage: 'The question could not be used.',
  all_sources_failed: 'Every literature source failed, so there was nothing to synthesize.',
  no_sources: 'No literature source is configured for this bot (ask the admin to set SYNTH_SOURCES or SYNTH_CORPUS).',
  source_timeout: 'A literature source took too long to answer.',
  source_http: 'A literature source returned an error.',
  source_network: 'A literature source could not be reached.',
  source_malformed: 'A literature source sent a response that could not be read.',
  engine: 'The synthesis engine failed.',
  cancelled: 'The run was cancelled.',
  interrupted: 'The bot restarted while this run was in progress.',
  rate_limited: 'Too many runs are in progress.',
  store: 'The report could not be saved.',
  config: 'The bot is misconfigured.',
  internal: 'Something went wrong inside the bot.',
};

/**
 * One mrkdwn line that explains a failure: the reason for its code, and the error's own message when it
 * adds something (escaped; it may quote a source's response).
 */
export function failureText(code: string, message: string): string {
  const reason = REASONS[code as ErrorCode] ?? REASONS.internal!;
  const detail = message && !reason.startsWith(message) ? ` ${mrkdwnShort(message, 600)}` : '';
  return `${reason}${detail}`;
}
