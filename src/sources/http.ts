/**
 * The HTTP layer shared by the live sources, on undici: connect and per-attempt timeouts, retries
 * with exponential backoff that honour `Retry-After` on 429/503 (other 4xx are never retried), a
 * `User-Agent` naming the project and `CONTACT_EMAIL`, cancellation through the run's `AbortSignal`,
 * the per-source rate limits of `rate-limit.ts` (process-wide, or across processes once shared
 * limits are configured; every attempt waits its turn), and a keyv response cache so a repeated
 * question makes no request. Identical requests in flight at the same time share one network call.
 *
 * The retry loop is our own rather than undici's `RetryAgent` because each attempt must pass through
 * the source's rate limiter, a `Retry-After` longer than a run can wait must fail at once, and the
 * final error names the attempts made.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Keyv } from 'keyv';
import { Agent, request, type Dispatcher } from 'undici';
import { SourceError } from '../errors.js';
import type { Limiter } from '../limits/limiter.js';
import { silentLogger, type Logger } from '../logger.js';
import { sharedRateLimiter, type RateLimit } from './rate-limit.js';

/** Product token sent in every `User-Agent`. */
export const USER_AGENT_PRODUCT = 'research-synthesis-bot/0.1.0';

/** Default time a cached response is reused. */
export const DEFAULT_CACHE_TTL_MS = 24 * 60 * 60 * 1000;

/** `User-Agent` naming the project and, when configured, the contact address APIs ask for. */
export function userAgent(contactEmail?: string): string {
  return contactEmail ? `${USER_AGENT_PRODUCT} (mailto:${contactEmail})` : USER_AGENT_PRODUCT;
}

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Source name, used in errors, logs, cache keys and the rate limiter's key. */
  source: string;
  userAgent: string;
  rateLimit: RateLimit;
  /** Response cache; none means every call goes to the network. */
  cache?: Keyv<unknown> | undefined;
  /** How long a response is reused (default 24 h; 0 disables the cache). */
  cacheTtlMs?: number;
  /** Attempts per request, the first included (default 3). */
  maxAttempts?: number;
  connectTimeoutMs?: number;
  /** Time one attempt may take, body included (default 15 s). */
  attemptTimeoutMs?: number;
  /** First backoff delay, doubled per attempt with jitter (default 500 ms). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A `Retry-After` longer than this fails at once instead of waiting (default 15 s). */
  maxRetryAfterMs?: number;
  /** Bodies larger than this are refused (default 20 MB). */
  maxBodyBytes?: number;
  log?: Logger;
  /** undici dispatcher; a shared keep-alive agent by default. */
  dispatcher?: Dispatcher;
  /** Rate limiter; by default the process-wide one of this source and host (see `rate-limit.ts`). */
  limiter?: Limiter;
}

/** One request. */
export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  /** The `Accept` header. */
  accept: string;
  signal: AbortSignal;
}

/** A source's HTTP client. */
export interface HttpClient {
  readonly source: string;
  /**
   * Returns `parse(body)` for the response to `req`, from the cache when a valid copy is there.
   * Only bodies that `parse` accepted are cached. Failures are `SourceError`s; an aborted signal
   * rejects with the signal's reason.
   */
  fetch<T>(req: HttpRequest, parse: (body: string) => T): Promise<T>;
}

/** A network call shared by identical requests, with the failure it last retried after. */
interface InflightEntry {
  promise: Promise<{ body: string; value: unknown }>;
  controller: AbortController;
  waiters: number;
  lastFailure?: SourceError;
}

/** `failure` again, as the reason a request whose time ran out (`reason`) gave up. */
function outOfTime(failure: SourceError, reason: unknown): SourceError {
  const code = failure.code as ConstructorParameters<typeof SourceError>[0];
  return new SourceError(code, failure.source, failure.message, {
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    ...(failure.url !== undefined ? { url: failure.url } : {}),
    cause: reason,
  });
}

interface CachedBody {
  v: 1;
  body: string;
}

interface Attempted {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Query parameters that never change an answer: left out of cache keys. */
const NEUTRAL_PARAMS = ['api_key', 'mailto', 'email', 'tool'];
/** Query parameters that are secrets: masked in errors and logs. */
const SECRET_PARAMS = ['api_key'];
/**
 * Transport failures worth another attempt: a connection dropped or stalled. No route, no DNS and
 * nothing listening (ECONNREFUSED, ENOTFOUND, EAI_AGAIN, ENETUNREACH) are not retried, so a machine
 * without internet fails at once instead of waiting out every source's retries.
 */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

let sharedAgent: Agent | undefined;
function defaultAgent(connectTimeoutMs: number): Agent {
  sharedAgent ??= new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 10_000 });
  return sharedAgent;
}

/** The URL with secret parameters masked, for errors and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const p of SECRET_PARAMS) if (u.searchParams.has(p)) u.searchParams.set(p, '***');
    return u.toString();
  } catch {
    return url;
  }
}

function cacheKey(source: string, req: HttpRequest): string {
  const u = new URL(req.url);
  for (const p of NEUTRAL_PARAMS) u.searchParams.delete(p);
  u.searchParams.sort();
  const body = req.body ? ` ${createHash('sha256').update(req.body).digest('hex').slice(0, 32)}` : '';
  return `http:${source}:${req.method ?? 'GET'} ${u.toString()}${body}`;
}

/** Milliseconds asked for by a `Retry-After` header (seconds or an HTTP date). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}

function plural(n: number): string {
  return `${n} attempt${n === 1 ? '' : 's'}`;
}

/** Creates the HTTP client of one source. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const source = options.source;
  const log = (options.log ?? silentLogger).child({ source });
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15_000;
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 8_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 15_000;
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const cache = cacheTtlMs > 0 ? options.cache : undefined;
  const dispatcher = options.dispatcher ?? defaultAgent(connectTimeoutMs);
  const inflight = new Map<string, InflightEntry>();

  const backoff = (attempt: number) => Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));

  async function attemptOnce(req: HttpRequest, signal: AbortSignal): Promise<Attempted> {
    const res = await request(req.url, {
      method: req.method ?? 'GET',
      headers: { 'user-agent': options.userAgent, accept: req.accept, ...req.headers },
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal,
      dispatcher,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) {
        res.body.destroy();
        throw new SourceError('source_malformed', source, `${source}: response larger than ${Math.round(maxBodyBytes / 1048576)} MB`, {
          status: res.statusCode,
          url: redactUrl(req.url),
        });
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
  }

  /**
   * Network part: attempts with retries; resolves to a body that `parse` accepted. `onRetry` hears of
   * each failed attempt about to be retried (and `undefined` when the next attempt is sent), so a
   * caller whose time runs out during the wait can say what failed rather than only that time ran out.
   */
  async function download<T>(
    req: HttpRequest,
    signal: AbortSignal,
    parse: (body: string) => T,
    onRetry: (failure: SourceError | undefined) => void = () => undefined,
  ): Promise<{ body: string; value: T }> {
    const url = redactUrl(req.url);
    const limiter = options.limiter ?? sharedRateLimiter(source, new URL(req.url).origin, options.rateLimit);
    for (let attempt = 1; ; attempt++) {
      const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(attemptTimeoutMs)]);
      const started = performance.now();
      let outcome: Attempted;
      try {
        outcome = await limiter.add(
          () => {
            onRetry(undefined);
            return attemptOnce(req, attemptSignal);
          },
          { signal },
        );
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof SourceError) throw error;
        const timedOut = attemptSignal.aborted;
        const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
        const retryable = timedOut || (code !== undefined && RETRYABLE_CODES.has(code));
        if (retryable && attempt < maxAttempts) {
          const wait = backoff(attempt);
          if (!timedOut) onRetry(new SourceError('source_network', source, `${source}: connection failed (${code}) after ${plural(attempt)}`, { url, cause: error }));
          log.info({ url, attempt, code: timedOut ? 'timeout' : code, waitMs: Math.round(wait) }, 'request failed; retrying');
          await sleep(wait, undefined, { signal });
          continue;
        }
        if (timedOut) {
          throw new SourceError('source_timeout', source, `${source}: no response within ${duration(attemptTimeoutMs)} (${plural(attempt)})`, {
            url,
            cause: error,
          });
        }
        const reason = code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' ? 'connection closed mid-response' : `connection failed (${code ?? (error as Error).message})`;
        throw new SourceError('source_network', source, `${source}: ${reason}${attempt > 1 ? ` after ${plural(attempt)}` : ''}`, {
          url,
          cause: error,
        });
      }
      const { status, headers, body } = outcome;
      log.debug({ url, status, attempt, ms: Math.round(performance.now() - started) }, 'response');
      if (status >= 200 && status < 300) {
        try {
          return { body, value: parse(body) };
        } catch (error) {
          if (error instanceof SourceError) {
            // Keep the parser's code (source_malformed, or source_http for an error reported in a 200 body).
            const code = error.code as ConstructorParameters<typeof SourceError>[0];
            throw new SourceError(code, source, error.message, { status, url, body: body.slice(0, 500), cause: error });
          }
          throw new SourceError('source_malformed', source, `${source}: unreadable response (${(error as Error).message})`, {
            status,
            url,
            body: body.slice(0, 500),
            cause: error,
          });
        }
      }
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers['retry-after']) : undefined;
      const retryable = status === 429 || status >= 500;
      const label = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
      const details = { status, url, body: body.slice(0, 500), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
      if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) {
        throw new SourceError('source_http', source, `${source}: ${label}; the server asks to retry after ${Math.ceil(retryAfterMs / 1000)} s`, details);
      }
      if (!retryable || attempt >= maxAttempts) {
        throw new SourceError('source_http', source, `${source}: ${label}${attempt > 1 ? ` after ${plural(attempt)}` : ''}`, details);
      }
      const wait = retryAfterMs ?? backoff(attempt);
      onRetry(new SourceError('source_http', source, `${source}: ${label} after ${plural(attempt)}`, details));
      log.info({ url, status, attempt, waitMs: Math.round(wait) }, 'retryable status; retrying');
      await sleep(wait, undefined, { signal });
    }
  }

  /** Joins an identical request already in flight, or starts one; the network call is cancelled only when every caller has gone. */
  async function shared<T>(key: string, req: HttpRequest, parse: (body: string) => T): Promise<{ body: string; value: T; joined: boolean }> {
    let entry = inflight.get(key);
    const joined = entry !== undefined;
    if (!entry) {
      const controller = new AbortController();
      const created: InflightEntry = { promise: Promise.resolve({ body: '', value: undefined }), controller, waiters: 0 };
      const promise = download(req, controller.signal, parse, (failure) => (created.lastFailure = failure));
      created.promise = promise;
      entry = created;
      inflight.set(key, entry);
      const remove = () => {
        if (inflight.get(key) === entry) inflight.delete(key);
      };
      promise.then(remove, remove);
    }
    const current = entry;
    current.waiters++;
    const { signal } = req;
    let onAbort: (() => void) | undefined;
    try {
      const aborted = new Promise<never>((_, reject) => {
        // Out of time while waiting to retry: the failure that made it retry is what happened (an
        // arXiv 500 whose retry waits 3 s for the rate limit is not a server that never answered).
        // A cancellation stays a cancellation.
        onAbort = () => {
          const timedOut = (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
          reject(timedOut && current.lastFailure ? outOfTime(current.lastFailure, signal.reason) : signal.reason);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      // Identical requests (same key) are parsed by the same source parser, so the value is shared too.
      const { body, value } = await Promise.race([current.promise, aborted]);
      return { body, value: value as T, joined };
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      current.waiters--;
      if (current.waiters === 0 && signal.aborted) current.controller.abort(signal.reason);
    }
  }

  return {
    source,
    async fetch<T>(req: HttpRequest, parse: (body: string) => T): Promise<T> {
      req.signal.throwIfAborted();
      const key = cacheKey(source, req);
      if (cache) {
        const hit = await cache.get(key).catch((error: unknown) => {
          log.warn({ err: error }, 'response cache unreadable; fetching');
          return undefined;
        });
        if (hit && typeof hit === 'object' && (hit as CachedBody).v === 1 && typeof (hit as CachedBody).body === 'string') {
          try {
            const value = parse((hit as CachedBody).body);
            log.debug({ url: redactUrl(req.url) }, 'cache hit');
            return value;
          } catch {
            // A cached body this version cannot read (the parser changed): fetch a fresh one.
            await cache.delete(key).catch(() => undefined);
          }
        }
      }
      const { body, value, joined } = await shared(key, req, parse);
      if (cache && !joined) {
        await cache.set(key, { v: 1, body } satisfies CachedBody, cacheTtlMs).catch((error: unknown) => {
          log.warn({ err: error }, 'response cache not writable');
        });
      }
      return value;
    },
  };
}
