/**
 * The interface every scholarly source implements: the local corpus here, the live APIs in their own
 * modules. A source maps its records to {@link Paper}s and throws a `SourceError` when it fails; the
 * orchestrator records the failure and carries on with the other sources.
 */
import type { Logger } from 'pino';
import type { Paper } from '../model.js';

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
}

/** A searchable database of papers. */
export interface Source {
  /** Stable name shown in the methodology (`openalex`, `arxiv`, ..., `corpus`). */
  readonly name: string;
  search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]>;
}
