/**
 * Errors of a model call, normalised once at the HTTP boundary. `kind` decides what the engine does:
 * an unreachable or failing endpoint ends the model's part of the run, a problem with one request
 * (a rejected request, a refusal, unusable output) only sends that item to the extractive engine.
 */
import { SynthError } from '../../errors.js';

/** What went wrong with a model call. */
export type ModelErrorKind =
  /** Connection refused, DNS failure, reset: the endpoint cannot be reached. */
  | 'network'
  /** An attempt took longer than `LLM_TIMEOUT_MS` (after retries). */
  | 'timeout'
  /** A non-success HTTP status (after retries for 429 and 5xx). */
  | 'http'
  /** A success status with a body that is not the provider's protocol (wrong URL, a proxy page). */
  | 'protocol'
  /** The model declined to answer. */
  | 'refusal';

/** A failed model call; keeps status, URL and the start of the body for debugging. */
export class ModelError extends SynthError {
  readonly kind: ModelErrorKind;
  readonly status: number | undefined;
  readonly url: string | undefined;
  readonly body: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ModelErrorKind,
    message: string,
    details: { status?: number; url?: string; body?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super('engine', message, { cause: details.cause });
    this.name = 'ModelError';
    this.kind = kind;
    this.status = details.status;
    this.url = details.url;
    this.body = details.body;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * True when the error means the endpoint as a whole is unusable (so the rest of the run should not
 * keep calling it): unreachable, timing out, rate limited or failing after retries, wrong key or
 * model (401/403/404), or not speaking the protocol. A 400-class rejection of one request is not.
 */
export function isEndpointFailure(error: ModelError): boolean {
  if (error.kind === 'refusal') return false;
  if (error.kind !== 'http') return true;
  const status = error.status ?? 0;
  return status === 401 || status === 403 || status === 404 || status === 408 || status === 429 || status >= 500;
}
