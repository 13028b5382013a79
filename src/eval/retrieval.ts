/**
 * `synthesize eval retrieval`: ranks a BEIR-format corpus for each judged query and reports nDCG@10
 * and recall@100 (BEIR's definitions).
 */
import { readFile } from 'node:fs/promises';
import { SynthError } from '../errors.js';
import { openCorpusIndex } from '../corpus-index/corpus-index.js';
import { readCorpusFile } from '../sources/corpus.js';
import { createLexicalRanker, DEFAULT_RANKER_OPTIONS, type LexicalRankerOptions } from '../rank/lexical-ranker.js';
import { ndcgAtK, recallAtK, round4 } from './metrics.js';

/** The printed result; key names are a contract (DESIGN.md, "Evaluation"). */
export interface RetrievalResult {
  queries: number;
  'ndcg@10': number;
  'recall@100': number;
}

/** Reads BEIR queries (`{"_id","text"}` per line) into a map. */
export async function readQueries(path: string): Promise<Map<string, string>> {
  const text = await readText(path);
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: { _id?: unknown; id?: unknown; text?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      throw new SynthError('validation', `${path}:${i + 1}: invalid JSON`);
    }
    const id = row._id ?? row.id;
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof row.text !== 'string') {
      throw new SynthError('validation', `${path}:${i + 1}: a query needs "_id" and "text"`);
    }
    out.set(String(id), row.text);
  });
  return out;
}

/** Reads BEIR qrels (`query-id<TAB>corpus-id<TAB>score`, with a header) into query -> doc -> grade. */
export async function readQrels(path: string): Promise<Map<string, Map<string, number>>> {
  const text = await readText(path);
  const out = new Map<string, Map<string, number>>();
  text.split('\n').forEach((line, i) => {
    const cols = line.trim().split('\t');
    if (cols.length < 3 || (i === 0 && cols[0] === 'query-id')) return;
    const [q, d, s] = cols as [string, string, string];
    const grade = Number(s);
    if (!Number.isFinite(grade)) throw new SynthError('validation', `${path}:${i + 1}: score "${s}" is not a number`);
    if (!out.has(q)) out.set(q, new Map());
    out.get(q)!.set(d, grade);
  });
  return out;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new SynthError('corpus_unreadable', `Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Ranks each judged query (`rank` returns corpus ids, best first) and averages the metrics. */
async function scoreRankings(
  files: { queries: string; qrels: string },
  rank: (text: string) => string[],
): Promise<RetrievalResult & { perQuery: Map<string, number> }> {
  const [queries, qrels] = await Promise.all([readQueries(files.queries), readQrels(files.qrels)]);
  let ndcg = 0;
  let recall = 0;
  let count = 0;
  const perQuery = new Map<string, number>();
  for (const [queryId, judged] of qrels) {
    const text = queries.get(queryId);
    if (text === undefined) continue;
    const ranked = rank(text);
    const n = ndcgAtK(ranked, judged, 10);
    perQuery.set(queryId, n);
    ndcg += n;
    recall += recallAtK(ranked, judged, 100);
    count++;
  }
  return {
    queries: count,
    'ndcg@10': round4(count ? ndcg / count : 0),
    'recall@100': round4(count ? recall / count : 0),
    perQuery,
  };
}

/** Runs the retrieval evaluation with the given ranker parameters (the tuned defaults unless given). */
export async function evaluateRetrieval(
  files: { corpus: string; queries: string; qrels: string },
  options: LexicalRankerOptions = DEFAULT_RANKER_OPTIONS,
): Promise<RetrievalResult & { perQuery: Map<string, number> }> {
  const { papers } = await readCorpusFile(files.corpus);
  const ranker = createLexicalRanker(papers, options);
  const rawIds = papers.map((p) => p.ids.corpus ?? p.id);
  return scoreRankings(files, (text) => ranker.search(text, 100).map((h) => rawIds[h.index]!));
}

/**
 * The same evaluation over the persistent corpus index in `indexDir` (built first when needed), which
 * ranks with the tuned defaults only.
 */
export async function evaluateRetrievalIndexed(
  files: { corpus: string; queries: string; qrels: string },
  indexDir: string,
): Promise<RetrievalResult & { perQuery: Map<string, number> }> {
  const index = openCorpusIndex(indexDir);
  const corpus = await index.ensure([files.corpus]);
  return scoreRankings(files, (text) => index.search(corpus.files, text, 100).map((h) => h.paper.ids.corpus ?? h.paper.id));
}
