/**
 * The interface every scholarly source implements: the local corpus here, the live APIs in their own
 * modules. A source maps its records to {@link Paper}s and throws a `SourceError` when it fails; the
 * orchestrator records the failure and carries on with the other sources.
 */
import type { Logger } from 'pino';
import type { Paper } from '../model.js';
import type { PaperId, PaperIdKind } from './paper-id.js';

/** What a source is asked for. */
export interface SearchQuery {
  /** The user's question, cleaned. */
  question: string;
  /** The query text planned for this source. */
  text: string;
  /** Key terms and phrases of the question (phrases keep their spaces). */
  terms: string[];
  maxResults: number;
  yearFrom?: number | undefined;
  yearTo?: number | undefined;
}

/** Context a source is called with: the run's cancellation signal and a logger. */
export interface SourceContext {
  signal: AbortSignal;
  log: Logger;
  /** Reports a non-fatal problem (e.g. a malformed corpus line) to the run's progress. */
  warn?: (code: string, message: string) => void;
  /** Reports progress of long local work (building the corpus index) as one line for the run's progress. */
  progress?: (detail: string) => void;
}

/** A searchable database of papers. */
export interface Source {
  /** Stable name shown in the methodology (`openalex`, `arxiv`, ..., `corpus`). */
  readonly name: string;
  /**
   * True for a source on this machine (the corpus): the live sources' time budget does not apply, as a
   * first search may build the corpus index, which reports its own progress instead.
   */
  readonly local?: boolean;
  search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]>;
  /**
   * Optional: the kinds of identifier {@link Source.lookup} resolves (a source without `lookup` is
   * never asked for a single paper). See `lookup.ts`, which asks the configured sources in turn.
   */
  readonly lookupKinds?: readonly PaperIdKind[];
  /**
   * Optional: fetches one record by identifier, through the source's own HTTP layer (base URL, rate
   * limit, retries, cache, user agent). Resolves to the paper, or undefined when the source has no
   * such record (an HTTP 404, an empty answer); throws a `SourceError` when the source failed.
   */
  lookup?(id: PaperId, ctx: SourceContext): Promise<Paper | undefined>;
  /**
   * Optional: keeps a paper another source found for a thread's `add`, so later searches of this source
   * find it too (the corpus index takes it as a new segment). A failure is logged, never fatal.
   */
  remember?(paper: Paper): Promise<void>;
}
