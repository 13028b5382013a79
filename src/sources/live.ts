/**
 * Registers the five live scholarly sources with the core's registry. Importing this module (the
 * runtime does) makes `openalex`, `arxiv`, `crossref`, `semanticscholar` and `pubmed` available to
 * `SYNTH_SOURCES` / `--sources`. Each source gets its own HTTP client over the shared transport,
 * rate limits and response cache.
 */
import type { CoreConfig } from '../config.js';
import { createArxivSource } from './arxiv.js';
import { createCrossrefSource } from './crossref.js';
import { createHttpClient, userAgent, type HttpClient } from './http.js';
import { createOpenAlexSource } from './openalex.js';
import { createPubmedSource } from './pubmed.js';
import { RATE_LIMITS, type RateLimit } from './rate-limit.js';
import { registerLiveSource, type LiveSourceDeps } from './registry.js';
import { createSemanticScholarSource } from './semantic-scholar.js';

/** HTTP client settings derived from the core configuration. */
export function httpSettings(config: CoreConfig): {
  attemptTimeoutMs: number;
  maxRetryAfterMs: number;
  cacheTtlMs: number;
  userAgent: string;
} {
  const budget = config.SYNTH_SOURCE_TIMEOUT_MS;
  return {
    // One slow attempt must leave time for a retry within the source's budget.
    attemptTimeoutMs: Math.min(10_000, budget),
    // A server asking for a wait longer than half the budget cannot be honoured in this run.
    maxRetryAfterMs: Math.round(budget / 2),
    cacheTtlMs: config.SYNTH_SOURCE_CACHE_TTL_MS,
    userAgent: userAgent(config.CONTACT_EMAIL),
  };
}

function clientFor(source: string, rateLimit: RateLimit, deps: LiveSourceDeps): HttpClient {
  return createHttpClient({ source, rateLimit, cache: deps.cache, log: deps.log, ...httpSettings(deps.config) });
}

/** Registers every live source (idempotent). */
export function registerLiveSources(): void {
  registerLiveSource('openalex', (deps) =>
    createOpenAlexSource(
      { baseUrl: deps.config.OPENALEX_BASE_URL, contactEmail: deps.config.CONTACT_EMAIL },
      { http: clientFor('openalex', RATE_LIMITS.openalex, deps) },
    ),
  );
  registerLiveSource('arxiv', (deps) =>
    createArxivSource({ baseUrl: deps.config.ARXIV_BASE_URL }, { http: clientFor('arxiv', RATE_LIMITS.arxiv, deps) }),
  );
  registerLiveSource('crossref', (deps) =>
    createCrossrefSource(
      { baseUrl: deps.config.CROSSREF_BASE_URL, contactEmail: deps.config.CONTACT_EMAIL },
      { http: clientFor('crossref', deps.config.CONTACT_EMAIL ? RATE_LIMITS.crossrefPolite : RATE_LIMITS.crossrefPublic, deps) },
    ),
  );
  registerLiveSource('semanticscholar', (deps) =>
    createSemanticScholarSource(
      { baseUrl: deps.config.SEMANTIC_SCHOLAR_BASE_URL, apiKey: deps.config.SEMANTIC_SCHOLAR_API_KEY },
      { http: clientFor('semanticscholar', RATE_LIMITS.semanticscholar, deps) },
    ),
  );
  registerLiveSource('pubmed', (deps) =>
    createPubmedSource(
      { baseUrl: deps.config.PUBMED_BASE_URL, contactEmail: deps.config.CONTACT_EMAIL, apiKey: deps.config.NCBI_API_KEY },
      { http: clientFor('pubmed', deps.config.NCBI_API_KEY ? RATE_LIMITS.pubmedWithKey : RATE_LIMITS.pubmed, deps) },
    ),
  );
}

registerLiveSources();
