/**
 * The core's lexical ranker: BM25F over title and abstract with Porter-stemmed terms, a proximity
 * bonus for query terms that stand next to each other in a document (as in sequential dependence
 * models), and pseudo-relevance feedback (RM3-style: the top documents' most distinctive terms are
 * added to the query with a small weight). Parameters were tuned on SciFact's train queries (README).
 */
import { terms } from '../text/tokens.js';
import { createBm25Index, type Bm25Hit, type Bm25Index, type Bm25Options } from './bm25.js';
import { createPairIndex } from './pair-index.js';

/** Ranking parameters: BM25F, the pair bonus and pseudo-relevance feedback (0 disables either). */
export interface LexicalRankerOptions extends Bm25Options {
  feedbackDocs: number;
  feedbackTerms: number;
  /** Weight of all expansion terms together, relative to the original query's total weight. */
  feedbackWeight: number;
  /** Weight of adjacent query-term pairs found adjacent in a document; 0 disables. */
  bigramWeight: number;
}

/**
 * The tuned defaults (grid-searched on SciFact train; the neighbourhood is flat, +-0.002 nDCG@10).
 */
export const DEFAULT_RANKER_OPTIONS: LexicalRankerOptions = {
  k1: 0.9,
  b: 0.4,
  titleWeight: 1.5,
  feedbackDocs: 3,
  feedbackTerms: 10,
  feedbackWeight: 0.3,
  bigramWeight: 0.2,
};

/** BM25F alone with the core's analyser: no feedback, no pairs (the baseline printed by `npm run eval`). */
export const PLAIN_RANKER_OPTIONS: LexicalRankerOptions = {
  k1: 0.9,
  b: 0.4,
  titleWeight: 1,
  feedbackDocs: 0,
  feedbackTerms: 0,
  feedbackWeight: 0,
  bigramWeight: 0,
};

/** How many first-pass candidates the pair bonus re-scores. */
export const PAIR_POOL = 300;

/** A ranker over a fixed list of documents. */
export interface LexicalRanker {
  readonly index: Bm25Index;
  /** Ranks the documents for free text; hits carry indexes into the list the ranker was built on. */
  search(text: string, limit: number): Bm25Hit[];
  /** Ranks for already-weighted query terms. */
  searchTerms(query: ReadonlyMap<string, number>, limit: number): Bm25Hit[];
}

/** A document's index terms per field. */
export interface AnalysedDocument {
  title: readonly string[];
  body: readonly string[];
}
type Analysed = AnalysedDocument;

/** Builds a ranker over documents with a title and an abstract. */
export function createLexicalRanker(
  documents: readonly { title: string; abstract: string }[],
  options: LexicalRankerOptions = DEFAULT_RANKER_OPTIONS,
): LexicalRanker {
  const analysed: Analysed[] = documents.map((d) => ({ title: terms(d.title), body: terms(d.abstract) }));
  const index = createBm25Index(analysed, options);
  const pairIndex = options.bigramWeight > 0 ? createPairIndex(analysed, options) : undefined;

  const combine = (query: ReadonlyMap<string, number>, pairs: ReadonlyMap<number, number>, limit: number) => {
    if (!pairIndex || pairs.size === 0) return index.search(query, limit);
    const pool = index.search(query, Math.max(limit, PAIR_POOL));
    const bonus = pairIndex.score(pairs, pool.map((h) => h.index));
    return pool
      .map((h) => ({ index: h.index, score: h.score + options.bigramWeight * (bonus.get(h.index) ?? 0) }))
      .sort((x, y) => y.score - x.score || x.index - y.index)
      .slice(0, limit);
  };

  const searchWith = (query: ReadonlyMap<string, number>, pairs: ReadonlyMap<number, number>, limit: number) => {
    const first = combine(query, pairs, Math.max(limit, options.feedbackDocs));
    if (options.feedbackDocs <= 0 || options.feedbackTerms <= 0 || first.length === 0) return first.slice(0, limit);
    const expanded = expandQuery(query, first.slice(0, options.feedbackDocs), (i) => analysed[i], index, options);
    return combine(expanded, pairs, limit);
  };

  return {
    index,
    searchTerms: (query, limit) => searchWith(query, new Map(), limit),
    search(text, limit) {
      const queryTerms = terms(text);
      const pairs = new Map<number, number>();
      for (const h of pairIndex?.pairsOf(queryTerms) ?? []) pairs.set(h, (pairs.get(h) ?? 0) + 1);
      const weights = new Map<string, number>();
      for (const term of queryTerms) weights.set(term, (weights.get(term) ?? 0) + 1);
      return searchWith(weights, pairs, limit);
    },
  };
}

/**
 * The query expanded with the feedback documents' most distinctive terms (shared with the persistent
 * corpus index, which fetches the documents' terms and the statistics from disk).
 */
export function expandQuery(
  query: ReadonlyMap<string, number>,
  top: readonly Bm25Hit[],
  analysedOf: (index: number) => Analysed | undefined,
  index: Pick<Bm25Index, 'documentFrequency' | 'idf'>,
  options: LexicalRankerOptions,
): Map<string, number> {
  // Relevance model: P(t|R) ~ sum over feedback docs of P(t|d) * P(d|q), with P(d|q) from the scores.
  const maxScore = top[0]?.score ?? 1;
  const weightOf = new Map<string, number>();
  for (const hit of top) {
    const doc = analysedOf(hit.index);
    if (!doc) continue;
    const all = [...doc.title, ...doc.body];
    if (all.length === 0) continue;
    const docWeight = Math.exp(hit.score - maxScore);
    const tf = new Map<string, number>();
    for (const t of all) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, c] of tf) weightOf.set(t, (weightOf.get(t) ?? 0) + (docWeight * c) / all.length);
  }
  const candidates = [...weightOf]
    .filter(([t]) => !query.has(t) && index.documentFrequency(t) > 1)
    .map(([t, w]) => [t, w * index.idf(t)] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, options.feedbackTerms);
  const expanded = new Map(query);
  const queryMass = [...query.values()].reduce((s, w) => s + w, 0);
  const candidateMass = candidates.reduce((s, [, w]) => s + w, 0) || 1;
  for (const [t, w] of candidates) expanded.set(t, (options.feedbackWeight * queryMass * w) / candidateMass);
  return expanded;
}
