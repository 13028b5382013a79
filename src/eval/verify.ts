/**
 * `synthesize eval verify`: SciFact claims judged against each abstract they cite, through the
 * engine's real `verify` step. Gold label per (claim, cited abstract): the evidence label for that
 * abstract, or NEI when it has none. Rationale F1 is sentence-level, over predicted evidence quotes
 * against the union of gold rationale sentences (SciFact's sentence-selection metric).
 */
import type { Engine, StageContext } from '../engines/engine.js';
import { silentLogger } from '../logger.js';
import type { Paper, Verdict, Verification } from '../model.js';
import { readCorpusFile } from '../sources/corpus.js';
import { normalizeWhitespace } from '../text/sanitize.js';
import { paperSentences } from '../text/sentences.js';
import { classificationReport, f1, forEachConcurrently, round4 } from './metrics.js';
import { readSciFactClaims, type GoldLabel } from './scifact-claims.js';

const LABELS = ['SUPPORT', 'CONTRADICT', 'NEI'] as const satisfies readonly GoldLabel[];

/** One claim-abstract pair with its gold label and rationale sentences. */
export interface VerificationPair {
  claimId: number;
  claim: string;
  paper: Paper;
  sentences: string[];
  label: GoldLabel;
  rationale: number[];
}

/** Loads SciFact claims and the abstracts they cite into labelled pairs. */
export async function loadVerificationPairs(
  corpusPath: string,
  claimsPath: string,
): Promise<{ pairs: VerificationPair[] }> {
  const { papers } = await readCorpusFile(corpusPath);
  const byRawId = new Map(papers.map((p) => [p.ids.corpus ?? p.id, p]));
  const pairs: VerificationPair[] = [];
  for (const claim of await readSciFactClaims(claimsPath)) {
    for (const rawId of claim.cited_doc_ids ?? []) {
      const paper = byRawId.get(String(rawId));
      if (!paper) continue;
      const sets = claim.evidence?.[String(rawId)] ?? [];
      pairs.push({
        claimId: claim.id,
        claim: claim.claim,
        paper,
        sentences: paperSentences(paper),
        label: sets[0]?.label ?? 'NEI',
        rationale: [...new Set(sets.flatMap((s) => s.sentences))].sort((a, b) => a - b),
      });
    }
  }
  return { pairs };
}

/** The printed result; key names are a contract (DESIGN.md, "Evaluation"). */
export interface VerifyResult {
  pairs: number;
  macro_f1: number;
  accuracy: number;
  f1: Record<GoldLabel, number>;
  rationale_f1: number;
}

/** SciFact's label for each verdict. */
export const VERDICT_TO_LABEL: Record<Verdict, GoldLabel> = { supported: 'SUPPORT', contradicted: 'CONTRADICT', insufficient: 'NEI' };

/**
 * Judges a claim against one abstract through `engine.verify` alone: the claim stands in a paper of
 * its own (`claim:<id>`, so the abstract counts as independent evidence) and the abstract is the only
 * other paper.
 */
export function verifyAgainst(engine: Engine, claim: { id: number; text: string }, paper: Paper, ctx: StageContext): Promise<Verification> {
  return engine.verify({ question: claim.text, claim: { text: claim.text, paperId: `claim:${claim.id}`, quote: claim.text }, papers: [paper] }, ctx);
}

/** Runs every pair through `engine.verify`, with the cited abstract as the only other paper. */
export async function evaluateVerification(
  files: { corpus: string; claims: string },
  engine: Engine,
  options: { signal?: AbortSignal; concurrency?: number } = {},
): Promise<VerifyResult> {
  const { pairs } = await loadVerificationPairs(files.corpus, files.claims);
  const signal = options.signal ?? new AbortController().signal;
  const ctx: StageContext = { signal, log: silentLogger, emit: () => {}, warn: () => {} };
  const outcomes: { gold: GoldLabel; predicted: GoldLabel; predictedSentences: number[] }[] = new Array(pairs.length);
  await forEachConcurrently(pairs, options.concurrency ?? 1, async (pair, i) => {
    signal.throwIfAborted();
    const verification = await verifyAgainst(engine, { id: pair.claimId, text: pair.claim }, pair.paper, ctx);
    const normalized = pair.sentences.map((s) => normalizeWhitespace(s));
    const predictedSentences =
      verification.verdict === 'insufficient'
        ? []
        : [
            ...new Set(
              verification.evidence
                .filter((e) => e.paperId === pair.paper.id)
                .map((e) => normalized.indexOf(normalizeWhitespace(e.quote)))
                .filter((k) => k >= 0),
            ),
          ];
    outcomes[i] = { gold: pair.label, predicted: VERDICT_TO_LABEL[verification.verdict], predictedSentences };
  });

  const report = classificationReport(LABELS, outcomes);
  // Sentence selection: a predicted sentence counts when the pair is not NEI and it is a gold rationale.
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  outcomes.forEach((o, i) => {
    const gold = new Set(pairs[i]!.rationale);
    actual += gold.size;
    predicted += o.predictedSentences.length;
    tp += o.predictedSentences.filter((k) => gold.has(k)).length;
  });
  return {
    pairs: outcomes.length,
    macro_f1: round4(report.macroF1),
    accuracy: round4(report.accuracy),
    f1: { SUPPORT: round4(report.perClass.SUPPORT), CONTRADICT: round4(report.perClass.CONTRADICT), NEI: round4(report.perClass.NEI) },
    rationale_f1: round4(f1(tp, predicted, actual).f1),
  };
}
