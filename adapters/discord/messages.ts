/**
 * What only the Discord adapter says (the thread fallback notes), and how its errors are logged.
 * Failures and refusals are worded once for every platform in `../shared/texts.ts`.
 */
import { DiscordAPIError } from 'discord.js';

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
