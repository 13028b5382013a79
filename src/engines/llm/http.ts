/**
 * One JSON POST to a model endpoint over undici, with a timeout per attempt, retries with back-off
 * that honour `Retry-After` (and OpenAI's `retry-after-ms`), and cancellation through the run's
 * `AbortSignal`, including while waiting to retry.
 *
 * undici's own `RetryAgent` was tried first: its back-off wait does not listen to the request's
 * signal, and after the last retry it reports the status without the body, which carries the
 * provider's explanation (e.g. "model not found"). This small loop keeps both.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { redactSecrets } from '../../text/redact.js';
import { ModelError } from './model-error.js';

/** Statuses worth retrying: rate limits, overload (Anthropic's 529) and transient server errors. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 409, 425, 429, 500, 502, 503, 504, 529]);
/** A `Retry-After` longer than this is not waited for: the call fails and the engine moves on. */
export const MAX_RETRY_WAIT_MS = 60_000;
/** Base of the exponential back-off when the server gives no `Retry-After`. */
export const BACKOFF_BASE_MS = 500;
/** Longest back-off step without `Retry-After`. */
export const BACKOFF_MAX_MS = 8_000;
/** How much of an error body is kept in the error message. */
const BODY_EXCERPT = 500;

/** A request to {@link postJson}. */
export interface PostJsonRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  timeoutMs: number;
  maxRetries: number;
  log?: Logger;
  /** undici dispatcher (default: the global one). */
  dispatcher?: Dispatcher;
  /**
   * Values cut out of everything read from the endpoint (the API key): a server that echoes the key
   * in its error text would otherwise put it into the error, the report's limitations and the logs.
   */
  secrets?: readonly string[];
}

/** A successful response. */
export interface PostJsonResponse {
  status: number;
  json: unknown;
  /** Attempts made (1 when the first one succeeded). */
  attempts: number;
}

/** Milliseconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`; undefined if absent. */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>, now: number = Date.now()): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const ms = Number(first(headers['retry-after-ms']));
  if (Number.isFinite(ms) && ms >= 0 && first(headers['retry-after-ms']) !== undefined) return ms;
  const value = first(headers['retry-after'])?.trim();
  if (!value) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(attempt: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  // Jitter spreads the retries of concurrent calls that failed together.
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** POSTs JSON and parses the JSON reply; throws a {@link ModelError}, or the abort reason when cancelled. */
export async function postJson(req: PostJsonRequest): Promise<PostJsonResponse> {
  const body = JSON.stringify(req.body);
  let lastError: ModelError | undefined;
  for (let attempt = 0; attempt <= req.maxRetries; attempt++) {
    req.signal.throwIfAborted();
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    let retryAfterMs: number | undefined;
    try {
      const res = await request(req.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...req.headers },
        body,
        signal,
        ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
      });
      const text = redactSecrets(await res.body.text(), req.secrets ?? []);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        try {
          return { status: res.statusCode, json: JSON.parse(text) as unknown, attempts: attempt + 1 };
        } catch (error) {
          throw new ModelError('protocol', `The endpoint answered ${res.statusCode} with a body that is not JSON: ${excerpt(text)}`, {
            status: res.statusCode,
            url: req.url,
            body: excerpt(text),
            cause: error,
          });
        }
      }
      retryAfterMs = parseRetryAfter(res.headers);
      lastError = new ModelError('http', `The endpoint answered HTTP ${res.statusCode}: ${errorMessageOf(text) || '(empty body)'}`, {
        status: res.statusCode,
        url: req.url,
        body: excerpt(text),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
      if (!RETRY_STATUSES.has(res.statusCode)) throw lastError;
    } catch (error) {
      if (req.signal.aborted) throw req.signal.reason ?? error;
      if (error instanceof ModelError) {
        if (error !== lastError || !RETRY_STATUSES.has(error.status ?? 0)) throw error;
      } else if (timeout.aborted) {
        lastError = new ModelError('timeout', `The model did not answer within ${formatMs(req.timeoutMs)}.`, { url: req.url, cause: error });
      } else {
        const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
        lastError = new ModelError('network', `Cannot reach the model endpoint ${originOf(req.url)}${code ? ` (${code})` : ''}.`, {
          url: req.url,
          cause: error,
        });
      }
    }
    if (attempt === req.maxRetries) break;
    const wait = retryAfterMs ?? backoff(attempt);
    if (wait > MAX_RETRY_WAIT_MS) {
      throw new ModelError('http', `${lastError!.message} It asked to retry after ${formatMs(wait)}, longer than the ${formatMs(MAX_RETRY_WAIT_MS)} the engine waits.`, {
        ...(lastError!.status !== undefined ? { status: lastError!.status } : {}),
        url: req.url,
        retryAfterMs: wait,
      });
    }
    req.log?.debug({ attempt: attempt + 1, waitMs: wait, status: lastError!.status, kind: lastError!.kind }, 'retrying model call');
    await delay(wait, undefined, { signal: req.signal });
  }
  const attempts = req.maxRetries + 1;
  throw new ModelError(lastError!.kind, `${lastError!.message}${attempts > 1 ? ` (${attempts} attempts)` : ''}`, {
    ...(lastError!.status !== undefined ? { status: lastError!.status } : {}),
    url: req.url,
    ...(lastError!.body !== undefined ? { body: lastError!.body } : {}),
    cause: lastError,
  });
}

/** The provider's own error message (`{"error": {"message": ...}}` in both protocols), else the body's start. */
function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof message === 'string' && message.trim()) return excerpt(message);
  } catch {
    // not JSON: show the text itself
  }
  return excerpt(text);
}

function excerpt(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > BODY_EXCERPT ? `${clean.slice(0, BODY_EXCERPT)}…` : clean;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
