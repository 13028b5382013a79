/**
 * Fitting the extractive verifier's logistic model, shared by `scripts/train-verifier.ts` (which
 * writes the weights) and `scripts/eval.ts` (which prints the cross-validated estimate).
 */
import { join } from 'node:path';
import { analyse, UNIFORM_WEIGHT } from '../src/engines/extractive/stance.js';
import { featurize, FEATURE_NAMES, LABELS, preparePaper, predict, type Label } from '../src/engines/extractive/verify-model.js';
import { MIN_EVIDENCE_COVERAGE } from '../src/engines/extractive/verify.js';
import { classificationReport } from '../src/eval/metrics.js';
import { loadVerificationPairs } from '../src/eval/verify.js';
import type { Paper } from '../src/model.js';
import { createLexicalRanker } from '../src/rank/lexical-ranker.js';
import { readCorpusFile } from '../src/sources/corpus.js';
import { paperSentences } from '../src/text/sentences.js';

/** One training row: features, the best sentence's coverage, the label, and whether it is an extra negative. */
export interface Row {
  x: number[];
  coverage: number;
  y: number;
  claimId: number;
  extra: boolean;
}

/**
 * Builds rows from SciFact train. `negatives` > 0 adds, per claim, that many top-ranked abstracts it
 * does not cite, labelled NEI (used for fitting only, never for scoring).
 */
export async function buildRows(dir: string, negatives = 0): Promise<Row[]> {
  const { pairs } = await loadVerificationPairs(join(dir, 'corpus.jsonl.gz'), join(dir, 'claims_train.jsonl'));
  const prepared = new Map<string, ReturnType<typeof preparePaper>>();
  const row = (claimId: number, claim: string, paper: Paper, sentences: string[], label: Label, extra: boolean): Row => {
    let doc = prepared.get(paper.id);
    if (!doc) prepared.set(paper.id, (doc = preparePaper(paper.title, sentences)));
    const { features, ranked } = featurize(analyse(claim), doc, UNIFORM_WEIGHT);
    return { x: features, coverage: ranked[0]?.f.coverage ?? 0, y: LABELS.indexOf(label), claimId, extra };
  };
  const rows = pairs.map((p) => row(p.claimId, p.claim, p.paper, p.sentences, p.label, false));
  if (negatives > 0) {
    const { papers } = await readCorpusFile(join(dir, 'corpus.jsonl.gz'));
    const ranker = createLexicalRanker(papers);
    const cited = new Map<number, Set<string>>();
    for (const p of pairs) cited.set(p.claimId, (cited.get(p.claimId) ?? new Set()).add(p.paper.id));
    const claims = new Map(pairs.map((p) => [p.claimId, p.claim]));
    for (const [claimId, claim] of claims) {
      const hits = ranker.search(claim, negatives + 5).map((h) => papers[h.index]!).filter((p) => !cited.get(claimId)!.has(p.id));
      for (const paper of hits.slice(0, negatives)) rows.push(row(claimId, claim, paper, paperSentences(paper), 'NEI', true));
    }
  }
  return rows;
}

/** Multinomial logistic regression, full-batch gradient descent, L2, class-balanced. */
export function fit(data: readonly Row[], epochs = 3000, rate = 0.5, l2 = 1e-3): number[][] {
  const k = LABELS.length;
  const d = FEATURE_NAMES.length;
  const w = Array.from({ length: k }, () => new Array<number>(d).fill(0));
  const counts = LABELS.map((_, c) => data.filter((r) => r.y === c).length);
  const classWeight = counts.map((n) => data.length / (k * Math.max(1, n)));
  for (let epoch = 0; epoch < epochs; epoch++) {
    const grad = Array.from({ length: k }, () => new Array<number>(d).fill(0));
    for (const { x, y } of data) {
      const p = predict(x, w);
      const probs = [p.SUPPORT, p.CONTRADICT, p.NEI];
      for (let c = 0; c < k; c++) {
        const g = (probs[c]! - (c === y ? 1 : 0)) * classWeight[y]!;
        for (let j = 0; j < d; j++) grad[c]![j]! += g * x[j]!;
      }
    }
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) w[c]![j]! -= rate * (grad[c]![j]! / data.length + (j === 0 ? 0 : l2 * w[c]![j]!));
    }
  }
  return w;
}

/**
 * The product's decision (engines/extractive/verify.ts with one paper): a paper whose best sentence
 * covers too little of the claim cannot count; a verdict needs probability >= 0.5, else NEI.
 */
export function decide(row: Pick<Row, 'x' | 'coverage'>, w: readonly (readonly number[])[]): Label {
  if (row.coverage < MIN_EVIDENCE_COVERAGE) return 'NEI';
  const p = predict(row.x, w);
  if (p.SUPPORT >= 0.5 && p.SUPPORT >= p.CONTRADICT) return 'SUPPORT';
  if (p.CONTRADICT >= 0.5) return 'CONTRADICT';
  return 'NEI';
}

/** 5-fold cross-validation by claim (a claim's pairs never sit on both sides), scored on labelled pairs only. */
export function crossValidate(rows: readonly Row[], folds = 5) {
  const claimIds = [...new Set(rows.map((r) => r.claimId))].sort((a, b) => a - b);
  const foldOf = new Map(claimIds.map((id, i) => [id, i % folds]));
  const predictions: { gold: Label; predicted: Label }[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const w = fit(rows.filter((r) => foldOf.get(r.claimId) !== fold));
    for (const r of rows) if (foldOf.get(r.claimId) === fold && !r.extra) predictions.push({ gold: LABELS[r.y]!, predicted: decide(r, w) });
  }
  return classificationReport(LABELS, predictions);
}
