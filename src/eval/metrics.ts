/** Ranking and classification metrics used by `synthesize eval`. */

/**
 * nDCG@k with graded relevance (BEIR's definition: gain = relevance, log2 discount, ideal ordering
 * from the judged documents).
 */
export function ndcgAtK(ranked: readonly string[], relevant: ReadonlyMap<string, number>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    const rel = relevant.get(id) ?? 0;
    if (rel > 0) dcg += rel / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()].filter((r) => r > 0).sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((sum, rel, i) => sum + rel / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Recall@k: the share of relevant documents found in the first k. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlyMap<string, number>, k: number): number {
  const wanted = [...relevant].filter(([, r]) => r > 0).map(([id]) => id);
  if (wanted.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return wanted.filter((id) => top.has(id)).length / wanted.length;
}

/** Precision, recall and F1 from counts. */
export function f1(truePositives: number, predicted: number, actual: number): { precision: number; recall: number; f1: number } {
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = actual === 0 ? 0 : truePositives / actual;
  const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1: f };
}

/** Per-class F1 and macro-F1 over labelled predictions. */
export function classificationReport<L extends string>(
  labels: readonly L[],
  pairs: readonly { gold: L; predicted: L }[],
): { accuracy: number; macroF1: number; perClass: Record<L, number> } {
  const perClass = {} as Record<L, number>;
  for (const label of labels) {
    const tp = pairs.filter((p) => p.gold === label && p.predicted === label).length;
    const predicted = pairs.filter((p) => p.predicted === label).length;
    const actual = pairs.filter((p) => p.gold === label).length;
    perClass[label] = f1(tp, predicted, actual).f1;
  }
  const macroF1 = labels.reduce((s, l) => s + perClass[l], 0) / labels.length;
  const accuracy = pairs.length === 0 ? 0 : pairs.filter((p) => p.gold === p.predicted).length / pairs.length;
  return { accuracy, macroF1, perClass };
}

/** Rounds to 4 decimals for printing. */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * Runs `work` on every item with at most `concurrency` at once, in order of the items; the evaluations
 * use it for pairs, claims and questions alike. Stops at the first rejection.
 */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
