/**
 * `npm run eval`: the evaluations of DESIGN.md on SciFact train, each printed as one JSON line, with
 * the baselines of the same run beside ours:
 * - retrieval: plain BM25 (k1 0.9, b 0.4, title + abstract) on unstemmed words, the same with our
 *   analyser (Porter stems), MiniSearch (a BM25+ library, same analyser) and the tuned ranker (BM25F +
 *   adjacent pairs + pseudo-relevance feedback);
 * - verification: the extractive engine through `synthesize eval verify`'s code path, beside the
 *   "always SUPPORT" baseline;
 * - answers: every claim asked as "Is it true that ...?" through the whole pipeline (`synthesize eval
 *   answer`), beside the always-yes baseline of the same claims;
 * - open verification: SciFact's open setting (`synthesize eval verify --open`, top 3 abstracts);
 * - follow-ups: a seeded sample of 100 claims asked as "Is it true that ...?", then a follow-up from the
 *   same claim (a fragment or a rephrasing) answered from the saved report's papers only (`synthesize
 *   eval followup`), beside the original run's figures on the same claims.
 * SCIFACT_DIR overrides where the SciFact files are (default ../shared/data/scifact).
 */
import { resolve } from 'node:path';
import MiniSearch from 'minisearch';
import { createExtractiveEngine } from '../src/engines/extractive/index.js';
import { evaluateAnswers } from '../src/eval/answer.js';
import { evaluateFollowUps } from '../src/eval/followup.js';
import { classificationReport, ndcgAtK, recallAtK, round4 } from '../src/eval/metrics.js';
import { evaluateRetrieval, readQrels, readQueries } from '../src/eval/retrieval.js';
import { evaluateVerification, loadVerificationPairs } from '../src/eval/verify.js';
import { DEFAULT_OPEN_K, evaluateOpenVerification } from '../src/eval/verify-open.js';
import { BASELINE_BM25, createBm25Index } from '../src/rank/bm25.js';
import { DEFAULT_RANKER_OPTIONS, PLAIN_RANKER_OPTIONS } from '../src/rank/lexical-ranker.js';
import { readCorpusFile } from '../src/sources/corpus.js';
import { STOPWORDS, stem, tokenize } from '../src/text/tokens.js';
import { evaluateRoles } from './role-fit.js';
import { buildRows, crossValidate } from './verifier-fit.js';

const dir = resolve(process.env.SCIFACT_DIR ?? new URL('../../shared/data/scifact', import.meta.url).pathname);
const files = {
  corpus: resolve(dir, 'corpus.jsonl.gz'),
  queries: resolve(dir, 'beir/queries.jsonl'),
  qrels: resolve(dir, 'beir/qrels/train.tsv'),
  claims: resolve(dir, 'claims_train.jsonl'),
};
const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

const unstemmed = await unstemmedBaseline();
print({ eval: 'retrieval', ranker: 'plain BM25 (k1 0.9, b 0.4, title+abstract, lower-case words, no stemming)', ...unstemmed });

const plain = await evaluateRetrieval(files, PLAIN_RANKER_OPTIONS);
print({ eval: 'retrieval', ranker: 'plain BM25F (k1 0.9, b 0.4, title+abstract)', queries: plain.queries, 'ndcg@10': plain['ndcg@10'], 'recall@100': plain['recall@100'] });

const library = await miniSearchBaseline();
print({ eval: 'retrieval', ranker: 'MiniSearch 7 BM25+ (same analyser)', ...library });

const ours = await evaluateRetrieval(files, DEFAULT_RANKER_OPTIONS);
print({ eval: 'retrieval', ranker: 'default (BM25F + pairs + feedback)', queries: ours.queries, 'ndcg@10': ours['ndcg@10'], 'recall@100': ours['recall@100'] });
print({
  eval: 'retrieval',
  'ndcg@10 ratio default/plain': round4(ours['ndcg@10'] / plain['ndcg@10']),
  'ndcg@10 ratio default/unstemmed': round4(ours['ndcg@10'] / unstemmed['ndcg@10']),
});

const verify = await evaluateVerification({ corpus: files.corpus, claims: files.claims }, createExtractiveEngine());
print({ eval: 'verify', engine: 'extractive', ...verify });
const { pairs } = await loadVerificationPairs(files.corpus, files.claims);
const always = classificationReport(['SUPPORT', 'CONTRADICT', 'NEI'] as const, pairs.map((p) => ({ gold: p.label, predicted: 'SUPPORT' as const })));
print({ eval: 'verify', baseline: 'always SUPPORT', pairs: pairs.length, macro_f1: round4(always.macroF1), accuracy: round4(always.accuracy) });
// The verifier's model was fitted on these claims, so also print what it scores on claims it did not see.
const cv = crossValidate(await buildRows(dir));
print({
  eval: 'verify',
  estimate: '5-fold cross-validation on train (model refitted without the held-out claims)',
  macro_f1: round4(cv.macroF1),
  f1: { SUPPORT: round4(cv.perClass.SUPPORT), CONTRADICT: round4(cv.perClass.CONTRADICT), NEI: round4(cv.perClass.NEI) },
});

const answers = await evaluateAnswers({ corpus: files.corpus, claims: files.claims }, createExtractiveEngine());
print({ eval: 'answer', engine: 'extractive', ...answers.result, baseline_always_yes: answers.baseline });
const open = await evaluateOpenVerification({ corpus: files.corpus, claims: files.claims }, createExtractiveEngine(), { k: DEFAULT_OPEN_K });
print({ eval: 'verify', setting: `open (top ${open.k} abstracts of the whole corpus per claim)`, engine: 'extractive', ...open });

const followups = await evaluateFollowUps({ corpus: files.corpus, claims: files.claims }, createExtractiveEngine());
print({ eval: 'followup', engine: 'extractive', ...followups.result });

// Sentence roles (which sentences state findings): held-out labelled abstracts, beside two baselines.
const roles = await evaluateRoles(resolve(dir, '..'));
print({
  eval: 'roles',
  setting: 'held-out structured abstracts (labels stripped), model refitted on the other 80%',
  abstracts: roles.abstracts,
  sentences: roles.sentences,
  accuracy: round4(roles.accuracy),
  macro_f1: round4(roles.macro_f1),
  baseline_position: { accuracy: round4(roles.baselines.position.accuracy), macro_f1: round4(roles.baselines.position.macro_f1) },
  baseline_majority: { accuracy: round4(roles.baselines.majority.accuracy), macro_f1: round4(roles.baselines.majority.macro_f1) },
});

async function unstemmedBaseline() {
  const [{ papers }, queries, qrels] = await Promise.all([readCorpusFile(files.corpus), readQueries(files.queries), readQrels(files.qrels)]);
  const words = (text: string) => tokenize(text).filter((t) => !STOPWORDS.has(t));
  const index = createBm25Index(papers.map((p) => ({ title: words(p.title), body: words(p.abstract) })), BASELINE_BM25);
  return score(queries, qrels, (text) => index.search(words(text), 100).map((h) => papers[h.index]!.ids.corpus!));
}

function score(queries: Map<string, string>, qrels: Map<string, Map<string, number>>, rank: (text: string) => string[]) {
  let ndcg = 0;
  let recall = 0;
  let n = 0;
  for (const [id, judged] of qrels) {
    const text = queries.get(id);
    if (text === undefined) continue;
    const ranked = rank(text);
    ndcg += ndcgAtK(ranked, judged, 10);
    recall += recallAtK(ranked, judged, 100);
    n++;
  }
  return { queries: n, 'ndcg@10': round4(ndcg / n), 'recall@100': round4(recall / n) };
}

async function miniSearchBaseline() {
  const [{ papers }, queries, qrels] = await Promise.all([readCorpusFile(files.corpus), readQueries(files.queries), readQrels(files.qrels)]);
  const analyse = (text: string) => tokenize(text).filter((t) => !STOPWORDS.has(t)).map(stem);
  const index = new MiniSearch({
    fields: ['title', 'abstract'],
    idField: 'rid',
    tokenize: analyse,
    processTerm: (t) => t,
    searchOptions: { bm25: { k: 0.9, b: 0.4, d: 0.5 } },
  });
  index.addAll(papers.map((p) => ({ rid: p.ids.corpus, title: p.title, abstract: p.abstract })));
  return score(queries, qrels, (text) => index.search(text).slice(0, 100).map((r) => String(r.id)));
}
