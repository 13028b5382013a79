/**
 * Fits the extractive verifier's logistic model on SciFact train (claims against their cited
 * abstracts) and writes `src/engines/extractive/verify-weights.ts`. Prints 5-fold cross-validated
 * macro-F1 first, so the figure quoted in the README is not a training-set figure.
 *
 * Besides the labelled pairs, each claim is paired with the top `--negatives` abstracts the ranker
 * retrieves for it that it does not cite, labelled NEI: in the product, the other papers of a run are
 * on the same topic without being evidence, and the model must learn that. These extra rows are used
 * for fitting only; the cross-validated figure is computed on the labelled pairs alone.
 *
 *   npx tsx scripts/train-verifier.ts [--data ../shared/data/scifact] [--negatives 1] [--dry-run]
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadVerificationPairs } from '../src/eval/verify.js';
import { analyse, UNIFORM_WEIGHT } from '../src/engines/extractive/stance.js';
import { featurize, FEATURE_NAMES, LABELS, preparePaper, predict, type Label } from '../src/engines/extractive/verify-model.js';
import { MIN_EVIDENCE_COVERAGE } from '../src/engines/extractive/verify.js';
import { classificationReport, round4 } from '../src/eval/metrics.js';
import type { Paper } from '../src/model.js';
import { createLexicalRanker } from '../src/rank/lexical-ranker.js';
import { readCorpusFile } from '../src/sources/corpus.js';
import { paperSentences } from '../src/text/sentences.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/scifact' },
    negatives: { type: 'string', default: '1' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const dir = resolve(values.data!);
const { pairs } = await loadVerificationPairs(join(dir, 'corpus.jsonl.gz'), join(dir, 'claims_train.jsonl'));
const prepared = new Map<string, ReturnType<typeof preparePaper>>();
const row = (claimId: number, claim: string, paper: Paper, sentences: string[], label: Label, extra: boolean) => {
  let doc = prepared.get(paper.id);
  if (!doc) prepared.set(paper.id, (doc = preparePaper(paper.title, sentences)));
  const { features, ranked } = featurize(analyse(claim), doc, UNIFORM_WEIGHT);
  return { x: features, coverage: ranked[0]?.f.coverage ?? 0, y: LABELS.indexOf(label), claimId, extra };
};
const rows = pairs.map((p) => row(p.claimId, p.claim, p.paper, p.sentences, p.label, false));
const negatives = Number(values.negatives);
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

/** Multinomial logistic regression, full-batch gradient descent, L2, class-balanced. */
function fit(data: typeof rows, epochs = 3000, rate = 0.5, l2 = 1e-3): number[][] {
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
    for (let c = 0; c < k; c++)
      for (let j = 0; j < d; j++) w[c]![j]! -= rate * (grad[c]![j]! / data.length + (j === 0 ? 0 : l2 * w[c]![j]!));
  }
  return w;
}

/**
 * The product's decision (engines/extractive/verify.ts): a paper whose best sentence covers too little
 * of the claim cannot count; a verdict needs probability >= 0.5, else NEI ("insufficient").
 */
function decide(row: { x: number[]; coverage: number }, w: number[][]): Label {
  if (row.coverage < MIN_EVIDENCE_COVERAGE) return 'NEI';
  const p = predict(row.x, w);
  if (p.SUPPORT >= 0.5 && p.SUPPORT >= p.CONTRADICT) return 'SUPPORT';
  if (p.CONTRADICT >= 0.5) return 'CONTRADICT';
  return 'NEI';
}

// Folds by claim, so a claim's pairs never sit on both sides.
const claimIds = [...new Set(rows.map((r) => r.claimId))].sort((a, b) => a - b);
const foldOf = new Map(claimIds.map((id, i) => [id, i % 5]));
const cv: { gold: Label; predicted: Label }[] = [];
for (let fold = 0; fold < 5; fold++) {
  const train = rows.filter((r) => foldOf.get(r.claimId) !== fold);
  const test = rows.filter((r) => foldOf.get(r.claimId) === fold && !r.extra);
  const w = fit(train);
  for (const r of test) cv.push({ gold: LABELS[r.y]!, predicted: decide(r, w) });
}
const cvReport = classificationReport(LABELS, cv);
const w = fit(rows);
const trainReport = classificationReport(
  LABELS,
  rows.filter((r) => !r.extra).map((r) => ({ gold: LABELS[r.y]!, predicted: decide(r, w) })),
);
console.log(
  JSON.stringify({
    pairs: rows.filter((r) => !r.extra).length,
    negatives: rows.filter((r) => r.extra).length,
    cv5_macro_f1: round4(cvReport.macroF1),
    cv5_f1: Object.fromEntries(LABELS.map((l) => [l, round4(cvReport.perClass[l])])),
    train_macro_f1: round4(trainReport.macroF1),
  }),
);
if (!values['dry-run']) {
  const body = w.map((row) => `  [${row.map((v) => round4(v)).join(', ')}],`).join('\n');
  await writeFile(
    new URL('../src/engines/extractive/verify-weights.ts', import.meta.url),
    `/**
 * Weights of the extractive verifier's logistic model, one row per label (SUPPORT, CONTRADICT, NEI),
 * one column per feature of \`FEATURE_NAMES\`. Generated by \`npx tsx scripts/train-verifier.ts\`
 * from SciFact train (5-fold cross-validated macro-F1 ${round4(cvReport.macroF1)}); do not edit by hand.
 */
export const VERIFY_WEIGHTS: readonly (readonly number[])[] = [
${body}
];
`,
  );
}
