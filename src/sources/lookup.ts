/**
 * Looking one paper up by identifier across the configured sources (the thread command `add <id>`,
 * `synthesize add`).
 *
 * Each source that can (an optional `lookup` method and `lookupKinds` on {@link Source}) fetches the
 * record through its own HTTP layer, so base URLs, timeouts, retries, rate limits, the response cache
 * and the user agent are those of a search:
 * - a DOI: OpenAlex (`/works/https://doi.org/<doi>`), Crossref (`/works/<doi>`), Semantic Scholar
 *   (`/paper/DOI:<doi>`); an arXiv DOI (`10.48550/arXiv.<id>`) also arXiv;
 * - an arXiv id: arXiv (`/query?id_list=<id>`), OpenAlex (arXiv's DOI), Semantic Scholar (`arXiv:<id>`);
 * - a PubMed id: PubMed (E-utilities `efetch`), OpenAlex (`pmid:<id>`), Semantic Scholar (`PMID:<id>`);
 * - an OpenAlex or Semantic Scholar id: that source;
 * - any of them, a corpus paper id (`corpus:4983`) or a title: the configured local corpus, which is
 *   asked first (no network; a bare number is a corpus id there before it is a PubMed id).
 *
 * Sources are asked one after the other, each within its own time budget, until one returns the record
 * with an abstract (a record without one cannot add claims or evidence, so the next source is asked for
 * it; if none has one, the first record found is returned, abstract empty). The result says where it
 * looked: `found` (the paper and its source), `not-found` (every source asked said it has no such
 * record, or no configured source can look this kind of id up), or `failed` (no source found it and at
 * least one failed, so it may exist: which, and why).
 */
import { SourceError, SynthError, UsageError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Paper } from '../model.js';
import { DEFAULT_SOURCE_TIMEOUT_MS } from '../pipeline/synthesize.js';
import { redactSecrets } from '../text/redact.js';
import { arxivIdFromDoi } from './common.js';
import { describePaperId, PAPER_ID_HINT, parsePaperId, type PaperId, type PaperIdKind } from './paper-id.js';
import type { Source } from './source.js';

export { describePaperId, PAPER_ID_HINT, parsePaperId, type PaperId, type PaperIdKind } from './paper-id.js';

/** Options of {@link lookupPaper}. */
export interface LookupOptions {
  signal?: AbortSignal;
  log?: Logger;
  /** Milliseconds one source may take, retries included (default 20 s, as a search). */
  timeoutMs?: number;
  /** Secret values (API keys) cut out of every failure message. */
  secrets?: readonly string[];
}

/** What one source said. */
export interface LookupAttempt {
  source: string;
  /** `found-no-abstract`: the record is there but carries no abstract. */
  outcome: 'found' | 'found-no-abstract' | 'not-found' | 'failed';
  /** Why it failed (`HTTP 500 Internal Server Error after 3 attempts`, `timed out after 20 s`). */
  error?: string;
  ms: number;
}

/** The outcome of {@link lookupPaper}. `message` is one plain sentence for a person. */
export type LookupResult =
  | { status: 'found'; id: PaperId; paper: Paper; source: string; attempts: LookupAttempt[]; message: string }
  | { status: 'not-found'; id: PaperId; attempts: LookupAttempt[]; message: string }
  | { status: 'failed'; id: PaperId; attempts: LookupAttempt[]; message: string };

/** Which sources are asked first for each kind of id (sources not listed follow in their given order; the corpus always leads). */
const PREFERENCE: Record<PaperIdKind, readonly string[]> = {
  doi: ['openalex', 'crossref', 'arxiv', 'semanticscholar', 'pubmed'],
  arxiv: ['arxiv', 'openalex', 'semanticscholar'],
  pmid: ['pubmed', 'openalex', 'semanticscholar'],
  openalex: ['openalex'],
  s2: ['semanticscholar'],
  corpus: [],
  title: [],
};

const isCorpus = (source: Source) => source.name === 'corpus' || source.name.startsWith('corpus:');

/** The identifier and its equivalents: an arXiv DOI is also the arXiv id it names. */
function forms(id: PaperId): PaperId[] {
  const arxiv = id.kind === 'doi' ? arxivIdFromDoi(id.value) : undefined;
  return arxiv ? [id, { kind: 'arxiv', value: arxiv }] : [id];
}

/** The sources to ask, in order, each with the form of the id it can resolve. */
function plan(id: PaperId, sources: readonly Source[]): { source: Source; id: PaperId }[] {
  const asked: { source: Source; id: PaperId; rank: number }[] = [];
  sources.forEach((source, i) => {
    if (!source.lookup) return;
    const form = forms(id).find((f) => source.lookupKinds?.includes(f.kind));
    if (!form) return;
    const preferred = PREFERENCE[id.kind].indexOf(source.name);
    const rank = isCorpus(source) ? -1 : preferred >= 0 ? preferred : PREFERENCE[id.kind].length + i;
    asked.push({ source, id: form, rank });
  });
  return asked.sort((a, b) => a.rank - b.rank).map(({ source, id: form }) => ({ source, id: form }));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1);
}

function names(attempts: readonly LookupAttempt[], outcome: LookupAttempt['outcome']): string[] {
  return attempts.filter((a) => a.outcome === outcome).map((a) => a.source);
}

/**
 * Parses `id` when it is text; a {@link UsageError} when it is no paper identifier
 * (`Not a paper id: "foo". Give a DOI (…), …`).
 */
export function requirePaperId(id: string | PaperId): PaperId {
  if (typeof id !== 'string') return id;
  const parsed = parsePaperId(id);
  if (!parsed) {
    const shown = id.trim().length > 80 ? `${id.trim().slice(0, 79)}…` : id.trim();
    throw new UsageError(`Not a paper id: "${shown}". Give ${PAPER_ID_HINT}.`);
  }
  return parsed;
}

/**
 * Looks the paper `id` up in `sources` (see the module comment). Throws a {@link UsageError} for text
 * that is no paper id, and a `cancelled` error when `signal` aborts; every other failure is a result.
 */
/** Offers a paper found in `from` to the other sources that keep papers (the corpus index). */
async function remember(paper: Paper, from: Source, sources: readonly Source[], log: Logger): Promise<void> {
  for (const source of sources) {
    if (source === from || !source.remember) continue;
    try {
      await source.remember(paper);
    } catch (error) {
      log.warn({ err: error, source: source.name }, 'could not keep the added paper');
    }
  }
}

export async function lookupPaper(id: string | PaperId, sources: readonly Source[], options: LookupOptions = {}): Promise<LookupResult> {
  const wanted = requirePaperId(id);
  const what = describePaperId(wanted);
  const log = options.log ?? silentLogger;
  const signal = options.signal ?? new AbortController().signal;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const redact = (text: string) => redactSecrets(text, options.secrets ?? []);
  const attempts: LookupAttempt[] = [];
  const asked = plan(wanted, sources);

  if (asked.length === 0) {
    const where = wanted.kind === 'title' || wanted.kind === 'corpus' ? 'a local corpus (--corpus, SYNTH_CORPUS)' : 'a source that can (a corpus, or the live sources)';
    const message =
      sources.length === 0
        ? `No source is configured to look ${what} up; configure ${where}.`
        : `None of the configured sources (${sources.map((s) => s.name).join(', ')}) can look ${what} up; configure ${where}.`;
    return { status: 'not-found', id: wanted, attempts, message };
  }

  let withoutAbstract: { paper: Paper; source: string } | undefined;
  for (const { source, id: form } of asked) {
    if (signal.aborted) throw new SynthError('cancelled', 'The lookup was cancelled.', { cause: signal.reason });
    const timeout = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    try {
      const paper = await source.lookup!(form, { signal: AbortSignal.any([signal, timeout]), log: log.child({ source: source.name }) });
      const ms = Math.round(performance.now() - started);
      if (!paper) {
        attempts.push({ source: source.name, outcome: 'not-found', ms });
        continue;
      }
      if (paper.abstract.trim().length === 0) {
        attempts.push({ source: source.name, outcome: 'found-no-abstract', ms });
        withoutAbstract ??= { paper, source: source.name };
        continue;
      }
      attempts.push({ source: source.name, outcome: 'found', ms });
      await remember(paper, source, sources, log);
      return { status: 'found', id: wanted, paper, source: source.name, attempts, message: `Found ${what} in ${source.name}.` };
    } catch (error) {
      if (signal.aborted) throw new SynthError('cancelled', 'The lookup was cancelled.', { cause: error });
      const ms = Math.round(performance.now() - started);
      const timedOut = timeout.aborted && !(error instanceof SourceError);
      const raw = timedOut ? `timed out after ${seconds(timeoutMs)} s` : error instanceof Error ? error.message : String(error);
      const reason = redact(raw.startsWith(`${source.name}: `) ? raw.slice(source.name.length + 2) : raw);
      log.warn({ err: error, source: source.name }, 'lookup failed');
      attempts.push({ source: source.name, outcome: 'failed', error: reason, ms });
    }
  }

  const failed = attempts.filter((a) => a.outcome === 'failed');
  if (withoutAbstract) {
    const others = failed.length > 0 ? ` (${failed.map((a) => `${a.source} failed: ${a.error}`).join('; ')})` : '';
    return {
      status: 'found',
      id: wanted,
      paper: withoutAbstract.paper,
      source: withoutAbstract.source,
      attempts,
      message: `Found ${what} in ${withoutAbstract.source}, but no source asked has its abstract${others}.`,
    };
  }
  const notFound = names(attempts, 'not-found');
  if (failed.length === 0) {
    return { status: 'not-found', id: wanted, attempts, message: `Not found: ${what} (looked in ${list(notFound, 'and')}).` };
  }
  const failures = failed.map((a) => `${a.source} failed (${a.error})`).join('; ');
  return {
    status: 'failed',
    id: wanted,
    attempts,
    message: `Could not look ${what} up: ${failures}${notFound.length > 0 ? `; not found in ${list(notFound, 'or')}` : ''}.`,
  };
}

/** "a", "a and b", "a, b and c". */
function list(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
