/**
 * Where a reference links to, for every chat platform: its DOI (https://doi.org/…), else its own
 * http(s) URL, else a link built from the id the source gave it (PubMed, arXiv, Crossref, OpenAlex,
 * Semantic Scholar). A paper from a local corpus usually has none; the views then show its id.
 */
import type { Reference } from '../../src/model.js';

/** The longest URL a view links to. */
const MAX_URL = 500;

const ID_LINKS: { prefix: string; pattern: RegExp; url: (id: string) => string }[] = [
  // https://pubmed.ncbi.nlm.nih.gov/<pmid>/
  { prefix: 'pubmed:', pattern: /^\d{1,10}$/, url: (id) => `https://pubmed.ncbi.nlm.nih.gov/${id}/` },
  // New-style (2101.00001v2) and old-style (hep-th/9901001) arXiv ids.
  { prefix: 'arxiv:', pattern: /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?$/i, url: (id) => `https://arxiv.org/abs/${id}` },
  { prefix: 'crossref:', pattern: /^10\.\d{4,9}\/\S+$/, url: (id) => doiUrl(id) },
  { prefix: 'openalex:', pattern: /^W\d{1,12}$/, url: (id) => `https://openalex.org/${id}` },
  { prefix: 's2:', pattern: /^[0-9a-f]{40}$/, url: (id) => `https://www.semanticscholar.org/paper/${id}` },
];

/** https://doi.org/ plus the DOI, with characters that would break a link percent-encoded. */
function doiUrl(doi: string): string {
  return `https://doi.org/${encodeURI(doi.trim().replace(/^https?:\/\/(?:dx\.)?doi\.org\//i, '')).replace(/[<>|]/g, (c) => encodeURIComponent(c))}`;
}

/** An http(s) URL as it may be linked, or undefined. */
function httpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** The URL a reference links to, or undefined when it has none (then the views show its id). */
export function referenceLink(ref: Reference | undefined): string | undefined {
  if (!ref) return undefined;
  const candidates = [ref.doi ? doiUrl(ref.doi) : undefined, httpUrl(ref.url)];
  for (const { prefix, pattern, url } of ID_LINKS) {
    const id = ref.id.startsWith(prefix) ? ref.id.slice(prefix.length) : undefined;
    if (id !== undefined && pattern.test(id)) candidates.push(url(id));
  }
  return candidates.find((url) => url !== undefined && url.length <= MAX_URL);
}

