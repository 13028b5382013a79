/**
 * Per-source rate limits. One limiter per source, host and policy is shared by every client in the
 * process, so the limit holds across concurrent runs (the bot runs several at once). A limit is a
 * minimum spacing between request starts plus a cap on requests in flight. Embedded, the limiter is
 * a `p-queue` (`interval` with `intervalCap: 1`, which p-queue enforces exactly); once
 * `configureSharedLimits` (in `limits/shared.ts`) has run, it is the Redis-backed limiter, so the
 * limit holds across every worker process too.
 */
import PQueue from 'p-queue';
import type { Limiter, LimitPolicy } from '../limits/limiter.js';
import { sharedLimiter } from '../limits/shared.js';

/** How fast one source may be called. */
export type RateLimit = LimitPolicy;

/**
 * The published limit of each API as a request count per time window, and the spacing this client
 * keeps to stay under it: about 10% wider than the limit, so event-loop and network jitter cannot
 * push one request too many into a window as the server counts it.
 * - OpenAlex: 10 requests/s for the polite pool (https://docs.openalex.org/how-to-use-the-api/rate-limits-and-authentication).
 * - arXiv: one request every 3 s, one connection (https://info.arxiv.org/help/api/tou.html).
 * - Crossref: polite pool 10 requests/s and 3 concurrent, public pool 5/s and 1
 *   (https://www.crossref.org/documentation/retrieve-metadata/rest-api/tips-for-using-the-crossref-rest-api/).
 * - Semantic Scholar: 1 request/s (the default for keys; the keyless pool is shared and throttled)
 *   (https://www.semanticscholar.org/product/api).
 * - PubMed E-utilities: 3 requests/s without a key, 10 with `NCBI_API_KEY`
 *   (https://www.ncbi.nlm.nih.gov/books/NBK25497/).
 */
export const PUBLISHED_LIMITS = {
  openalex: { requests: 10, perMs: 1000 },
  arxiv: { requests: 1, perMs: 3000 },
  crossrefPolite: { requests: 10, perMs: 1000 },
  crossrefPublic: { requests: 5, perMs: 1000 },
  semanticscholar: { requests: 1, perMs: 1000 },
  pubmed: { requests: 3, perMs: 1000 },
  pubmedWithKey: { requests: 10, perMs: 1000 },
} as const satisfies Record<string, { requests: number; perMs: number }>;

/** The policies this client follows; see {@link PUBLISHED_LIMITS}. */
export const RATE_LIMITS = {
  openalex: { minIntervalMs: 110, concurrency: 4 },
  arxiv: { minIntervalMs: 3100, concurrency: 1 },
  crossrefPolite: { minIntervalMs: 110, concurrency: 3 },
  crossrefPublic: { minIntervalMs: 220, concurrency: 1 },
  semanticscholar: { minIntervalMs: 1100, concurrency: 1 },
  pubmed: { minIntervalMs: 370, concurrency: 2 },
  pubmedWithKey: { minIntervalMs: 110, concurrency: 4 },
} as const satisfies Record<keyof typeof PUBLISHED_LIMITS, RateLimit>;

const queues = new Map<string, PQueue>();

/**
 * The limiter for `source` at `origin` under `limit`: shared by every process when shared limits are
 * configured, otherwise the process-wide queue.
 */
export function sharedRateLimiter(source: string, origin: string, limit: RateLimit): Limiter {
  const shared = sharedLimiter(`source:${source}:${origin}`, limit);
  if (shared) return shared;
  const key = `${source} ${origin} ${limit.minIntervalMs}/${limit.concurrency}`;
  let queue = queues.get(key);
  if (!queue) {
    queue = new PQueue({ concurrency: limit.concurrency, interval: limit.minIntervalMs, intervalCap: 1 });
    queues.set(key, queue);
  }
  return queue;
}
