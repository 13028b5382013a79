/**
 * What the Discord adapter tells users, in one place: error codes mapped to plain sentences, and the
 * fixed notes (thread fallback, expired components). Errors are normalised once with `asSynthError`.
 */
import { DiscordAPIError } from 'discord.js';
import { asSynthError } from '../../src/errors.js';

const REASONS: Record<string, string> = {
  all_sources_failed: 'Every source failed, so no report could be made.',
  no_sources: 'No source is configured (set SYNTH_SOURCES or SYNTH_CORPUS).',
  engine: 'The judgement engine failed.',
  cancelled: 'The run was cancelled.',
  interrupted: 'The bot restarted while this run was in progress.',
  internal: 'Something went wrong inside the bot.',
};

/** A one-line reason for a failed run, shown with the Retry button. */
export function failureReason(code: string, message: string): string {
  const known = REASONS[code];
  if (code === 'usage' || code === 'rate_limited' || code === 'validation') return message;
  return known && !message ? known : known ? `${known} ${message}` : message;
}

/** The text for an error thrown while starting a run (usage, rate limit, anything else). */
export function startErrorText(error: unknown): string {
  const e = asSynthError(error);
  if (e.code === 'usage' || e.code === 'rate_limited') return e.message;
  return `Could not start the run: ${failureReason(e.code, e.message)}`;
}

/** The note posted when a thread could not be created. */
export function threadFallbackNote(permission: boolean): string {
  return permission
    ? 'I cannot create threads in this channel (the bot lacks the Create Public Threads permission), so progress and the answer follow here as replies.'
    : 'A thread cannot be started here, so progress and the answer follow here as replies.';
}

/** True for Discord's "missing permissions/access" answers (HTTP 403, codes 50001 and 50013). */
export function isMissingPermission(error: unknown): boolean {
  return error instanceof DiscordAPIError && (error.status === 403 || error.code === 50001 || error.code === 50013);
}

/**
 * An error as it may be logged: status, code, method and message, never the request URL (which holds
 * interaction tokens) or the request body.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (error instanceof DiscordAPIError) {
    return { name: error.name, status: error.status, code: error.code, method: error.method, message: error.message };
  }
  if (error instanceof Error) return { name: error.name, message: redactTokens(error.message) };
  return { message: redactTokens(String(error)) };
}

/** Removes anything shaped like an interaction/webhook token path or a bot token from a string. */
export function redactTokens(text: string): string {
  return text
    .replace(/(\/(?:interactions|webhooks)\/\d+\/)[^/\s?]+/g, '$1[redacted]')
    .replace(/[\w-]{20,}\.[\w-]{5,}\.[\w-]{20,}/g, '[redacted]');
}
