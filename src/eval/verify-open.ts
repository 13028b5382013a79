/**
 * `synthesize eval verify --open`: SciFact's open setting. For each claim the corpus ranker retrieves
 * the top k abstracts of the whole corpus and the engine's `verify` step judges each one alone; the
 * result is SciFact's abstract-level, label-only precision, recall and F1
 * (https://github.com/allenai/scifact/blob/master/doc/evaluation.md): a predicted (claim, abstract,
 * label) with a label other than NEI is correct when the abstract is a gold evidence abstract of the
 * claim with that label; recall is over every gold (claim, abstract) evidence pair.
 */
import type { Engine, StageContext } from '../engines/engine.js';
import { silentLogger } from '../logger.js';
import { loadCorpus } from '../sources/corpus.js';
import { f1, forEachConcurrently, round4 } from './metrics.js';
import { evidenceLabels, readSciFactClaims } from './scifact-claims.js';
import { VERDICT_TO_LABEL, verifyAgainst } from './verify.js';

/** Abstracts retrieved per claim by default (SciFact's open-setting baseline uses 3). */
export const DEFAULT_OPEN_K = 3;

/**
 * The printed result; key names and order are a contract (DESIGN.md, "Evaluation"):
 * `claims` judged, `k` abstracts retrieved per claim, and the abstract-level label-only `precision`,
 * `recall` and `f1`.
 */
export interface OpenVerifyResult {
  claims: number;
  k: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Runs the open setting over every claim of the file (NEI claims included: their predictions can only be wrong). */
export async function evaluateOpenVerification(
  files: { corpus: string; claims: string },
  engine: Engine,
  options: { k?: number; limit?: number; concurrency?: number; signal?: AbortSignal } = {},
): Promise<OpenVerifyResult> {
  const k = Math.max(1, options.k ?? DEFAULT_OPEN_K);
  const [corpus, all] = await Promise.all([loadCorpus([files.corpus]), readSciFactClaims(files.claims)]);
  const claims = options.limit === undefined ? all : all.slice(0, Math.max(0, options.limit));
  const signal = options.signal ?? new AbortController().signal;
  const ctx: StageContext = { signal, log: silentLogger, emit: () => {}, warn: () => {} };

  let predicted = 0;
  let correct = 0;
  let gold = 0;
  await forEachConcurrently(claims, options.concurrency ?? 1, async (claim) => {
    const labels = evidenceLabels(claim);
    gold += labels.size;
    for (const hit of corpus.ranker.search(claim.claim, k)) {
      signal.throwIfAborted();
      const paper = corpus.papers[hit.index]!;
      const verification = await verifyAgainst(engine, { id: claim.id, text: claim.claim }, paper, ctx);
      const label = VERDICT_TO_LABEL[verification.verdict];
      if (label === 'NEI') continue;
      predicted++;
      if (labels.get(paper.ids.corpus ?? '') === label) correct++;
    }
  });
  const scores = f1(correct, predicted, gold);
  return { claims: claims.length, k, precision: round4(scores.precision), recall: round4(scores.recall), f1: round4(scores.f1) };
}
