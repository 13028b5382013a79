/**
 * One error base class with a string code. Errors are normalised once, at the boundary that catches
 * them, with {@link asSynthError}; adapters map codes to user-facing text in one table.
 */

/** Every error code the core raises. */
export type ErrorCode =
  | 'usage'
  | 'config'
  | 'validation'
  | 'corpus_unreadable'
  | 'corpus_malformed'
  | 'source_http'
  | 'source_timeout'
  | 'source_malformed'
  | 'source_network'
  | 'all_sources_failed'
  | 'no_sources'
  | 'engine'
  | 'cancelled'
  | 'interrupted'
  | 'rate_limited'
  | 'not_found'
  | 'store'
  | 'index_unwritable'
  | 'index_busy'
  | 'internal';

/** Base class: a stable `code`, a message that says how to fix where it can, and the `cause`. */
export class SynthError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynthError';
    this.code = code;
  }
}

/** A bad command line or request: the CLI exits 2. */
export class UsageError extends SynthError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

/** A configuration value is missing or invalid; the message names the variable and what it accepts. */
export class ConfigError extends SynthError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('config', `${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Data that failed validation at a boundary (a corpus line, an API response, a model reply). */
export class ValidationError extends SynthError {
  readonly issues: string[];

  constructor(code: ErrorCode, message: string, issues: string[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** A failed call to a scholarly API, keeping what is needed to debug and to retry it. */
export class SourceError extends SynthError {
  readonly source: string;
  readonly status: number | undefined;
  readonly url: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: string | undefined;

  constructor(
    code: Extract<ErrorCode, 'source_http' | 'source_timeout' | 'source_malformed' | 'source_network'>,
    source: string,
    message: string,
    details: { status?: number; url?: string; retryAfterMs?: number; body?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.name = 'SourceError';
    this.source = source;
    this.status = details.status;
    this.url = details.url;
    this.retryAfterMs = details.retryAfterMs;
    this.body = details.body;
  }
}

/** True when `error` is the result of an aborted signal (ours or the platform's). */
export function isAbortError(error: unknown): boolean {
  if (error instanceof SynthError) return error.code === 'cancelled';
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Normalises anything thrown into a {@link SynthError}; the original is kept as `cause`. */
export function asSynthError(error: unknown): SynthError {
  if (error instanceof SynthError) return error;
  if (isAbortError(error)) return new SynthError('cancelled', 'The run was cancelled.', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new SynthError('internal', message || 'Unknown error', { cause: error });
}
