/**
 * The core's lexical ranker: BM25F over title and abstract with Porter-stemmed terms, plus optional
 * pseudo-relevance feedback (RM3-style: the top documents' most distinctive terms are added to the
 * query with a small weight). Parameters were tuned on SciFact's train queries (README).
 */
import { terms } from '../text/tokens.js';
import { createBm25Index, type Bm25Hit, type Bm25Index, type Bm25Options } from './bm25.js';

/** Ranking parameters: BM25F plus pseudo-relevance feedback (set `feedbackDocs` to 0 to disable). */
export interface LexicalRankerOptions extends Bm25Options {
  feedbackDocs: number;
  feedbackTerms: number;
  /** Weight of all expansion terms together, relative to the original query's total weight. */
  feedbackWeight: number;
  /** Weight of adjacent-term pairs (a proximity signal, as in sequential dependence models); 0 disables. */
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

/** A ranker over a fixed list of documents. */
export interface LexicalRanker {
  readonly index: Bm25Index;
  /** Ranks the documents for free text; hits carry indexes into the list the ranker was built on. */
  search(text: string, limit: number): Bm25Hit[];
  /** Ranks for already-weighted query terms. */
  searchTerms(query: ReadonlyMap<string, number>, limit: number): Bm25Hit[];
}

/** Builds a ranker over documents with a title and an abstract. */
export function createLexicalRanker(
  documents: readonly { title: string; abstract: string }[],
  options: LexicalRankerOptions = DEFAULT_RANKER_OPTIONS,
): LexicalRanker {
  const analysed = documents.map((d) => ({ title: terms(d.title), body: terms(d.abstract) }));
  const index = createBm25Index(analysed, options);
  const pairIndex =
    options.bigramWeight > 0
      ? createBm25Index(
          analysed.map((d) => ({ title: bigrams(d.title), body: bigrams(d.body) })),
          options,
        )
      : undefined;

  const combine = (query: ReadonlyMap<string, number>, pairs: ReadonlyMap<string, number>, limit: number) => {
    if (!pairIndex || pairs.size === 0) return index.search(query, limit);
    const pool = index.search(query, Math.max(limit * 3, 300));
    const pairHits = new Map(pairIndex.search(pairs, pool.length * 2).map((h) => [h.index, h.score]));
    return pool
      .map((h) => ({ index: h.index, score: h.score + options.bigramWeight * (pairHits.get(h.index) ?? 0) }))
      .sort((x, y) => y.score - x.score || x.index - y.index)
      .slice(0, limit);
  };

  const searchWith = (query: ReadonlyMap<string, number>, pairs: ReadonlyMap<string, number>, limit: number) => {
    const first = combine(query, pairs, Math.max(limit, options.feedbackDocs));
    if (options.feedbackDocs <= 0 || options.feedbackTerms <= 0 || first.length === 0) return first.slice(0, limit);
    const expanded = expandQuery(query, first.slice(0, options.feedbackDocs), analysed, index, options);
    return combine(expanded, pairs, limit);
  };

  return {
    index,
    searchTerms: (query, limit) => searchWith(query, new Map(), limit),
    search(text, limit) {
      const queryTerms = terms(text);
      return searchWith(count(queryTerms), count(bigrams(queryTerms)), limit);
    },
  };
}

function count(items: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(item, (out.get(item) ?? 0) + 1);
  return out;
}

/** Adjacent pairs of (already stopword-free) terms, order-free: `a b` and `b a` are one pair. */
function bigrams(list: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < list.length; i++) {
    const a = list[i]!;
    const b = list[i + 1]!;
    out.push(a < b ? `${a} ${b}` : `${b} ${a}`);
  }
  return out;
}

function expandQuery(
  query: ReadonlyMap<string, number>,
  top: readonly Bm25Hit[],
  analysed: readonly { title: readonly string[]; body: readonly string[] }[],
  index: Bm25Index,
  options: LexicalRankerOptions,
): Map<string, number> {
  // Relevance model: P(t|R) ~ sum over feedback docs of P(t|d) * P(d|q), with P(d|q) from the scores.
  const maxScore = top[0]?.score ?? 1;
  const weightOf = new Map<string, number>();
  for (const hit of top) {
    const doc = analysed[hit.index]!;
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
