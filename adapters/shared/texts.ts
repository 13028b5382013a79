/**
 * What the bot says about failures, for every platform: one table from error codes to plain
 * sentences. Renderers escape the result for their markup.
 */
import { asSynthError, type ErrorCode } from '../../src/errors.js';

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
  not_found: 'The paper could not be found.',
  store: 'The report could not be saved.',
  config: 'The bot is misconfigured.',
  internal: 'Something went wrong inside the bot.',
};

/** The longest error detail quoted after a reason. */
const MAX_DETAIL = 600;

/**
 * One sentence or two explaining a failure: the reason for its code, then the error's own message when
 * it adds something (it may quote a source's response; the renderer escapes it).
 */
export function failureText(code: string, message: string): string {
  const reason = REASONS[code as ErrorCode] ?? REASONS.internal!;
  const detail = message && !reason.startsWith(message) ? ` ${message.length > MAX_DETAIL ? `${message.slice(0, MAX_DETAIL - 1)}…` : message}` : '';
  return `${reason}${detail}`;
}

/** What to tell someone whose request did not start: a usage or limit message as it is, anything else explained. */
export function refusalText(error: unknown): string {
  const e = asSynthError(error);
  if (e.code === 'usage' || e.code === 'rate_limited') return e.message;
  return `The run could not start. ${failureText(e.code, e.message)}`;
}

/** Whether a failed run offers Retry: not for a question that cannot be used. */
export function isRetryable(code: string): boolean {
  return code !== 'usage';
}
