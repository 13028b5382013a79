/** Small helpers shared by the live source modules. */
import { SourceError } from '../errors.js';
import type { Paper } from '../model.js';
import { normalizeArxivId, normalizeDoi } from '../pipeline/merge.js';
import type { SourceContext } from './source.js';

/** Builds `base + path` with query parameters (undefined values are left out); `base` may carry a path. */
export function apiUrl(base: string, path: string, params: Record<string, string | number | undefined> = {}): string {
  const url = new URL(`${base.replace(/\/+$/, '')}${path}`);
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  return url.toString();
}

/** A score from a 0-based rank in the source's own order (1, 0.5, 0.33, ...), comparable across sources. */
export function rankScore(rank: number): number {
  return 1 / (1 + rank);
}

/** Tells the run's progress that some records of a page could not be read. */
export function reportDropped(ctx: SourceContext, source: string, dropped: number): void {
  if (dropped > 0) ctx.warn?.('source_partial', `${source}: ${dropped} record(s) in an unexpected shape were skipped.`);
}

/** A DOI in the normalised form the merge uses, or undefined when it is not a DOI. */
export function cleanDoi(value: string | null | undefined): string | undefined {
  return normalizeDoi(value ?? undefined);
}

/** arXiv id from a DOI minted by arXiv (`10.48550/arXiv.2312.07559`). */
export function arxivIdFromDoi(doi: string | undefined): string | undefined {
  const m = doi?.match(/^10\.48550\/arxiv\.(.+)$/i);
  return m ? normalizeArxivId(m[1]) : undefined;
}

/** Drops undefined fields, so optional properties are absent rather than undefined. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Keeps papers with a title; a record without one cannot be cited. */
export function withTitles(papers: Paper[]): Paper[] {
  return papers.filter((p) => p.title.length > 0);
}

/**
 * The answer to a single-record request (`lookup`), or undefined when the source says it has no such
 * record (HTTP 404 or 410); any other failure is rethrown. A record without a title cannot be cited and
 * counts as not found.
 */
export async function recordOrNotFound(request: Promise<Paper | undefined>): Promise<Paper | undefined> {
  try {
    const paper = await request;
    return paper && paper.title.length > 0 ? paper : undefined;
  } catch (error) {
    if (error instanceof SourceError && (error.status === 404 || error.status === 410)) return undefined;
    throw error;
  }
}
