/**
 * `synthesize eval answer`: end-to-end answer evaluation on SciFact. Each labelled claim is asked as
 * the question `Is it true that <claim>?` through the real pipeline (the corpus source over the whole
 * corpus, no live sources), and the report's `answer.verdict` is compared with the claim's gold label:
 * SUPPORT should be answered `yes`, CONTRADICT `no`, and a claim no abstract decides (NEI) should not
 * get a confident yes or no.
 */
import type { Engine } from '../engines/engine.js';
import { SynthError } from '../errors.js';
import type { AnswerVerdict, Report } from '../model.js';
import { createSynthesizer } from '../pipeline/synthesize.js';
import { createCorpusSource } from '../sources/corpus.js';
import { forEachConcurrently, round4 } from './metrics.js';
import { evidenceLabels, readSciFactClaims, type GoldLabel, type SciFactClaim } from './scifact-claims.js';

/** One labelled claim, asked as a question. */
export interface AnswerCase {
  id: number;
  claim: string;
  question: string;
  gold: GoldLabel;
  /** Corpus ids of the claim's evidence abstracts (empty for NEI). */
  goldDocs: string[];
}

/** The question a claim is asked as: `Is it true that <claim without its final period>?`. */
export function claimQuestion(claim: string): string {
  return `Is it true that ${claim.trim().replace(/\.+$/, '')}?`;
}

/**
 * Turns SciFact claims into labelled cases. A claim's gold label is the label of its evidence
 * abstracts, the majority one when they disagree; a claim whose abstracts split evenly is left out
 * and counted in `ties`. A claim without evidence is NEI.
 */
export function answerCases(claims: readonly SciFactClaim[]): { cases: AnswerCase[]; ties: number } {
  const cases: AnswerCase[] = [];
  let ties = 0;
  for (const claim of claims) {
    const labels = evidenceLabels(claim);
    const support = [...labels.values()].filter((l) => l === 'SUPPORT').length;
    const contradict = labels.size - support;
    if (labels.size > 0 && support === contradict) {
      ties++;
      continue;
    }
    const gold: GoldLabel = labels.size === 0 ? 'NEI' : support > contradict ? 'SUPPORT' : 'CONTRADICT';
    cases.push({ id: claim.id, claim: claim.claim, question: claimQuestion(claim.claim), gold, goldDocs: [...labels.keys()] });
  }
  return { cases, ties };
}

/** One claim's outcome, as `--details` writes it (one JSON line per claim). */
export interface AnswerRow {
  id: number;
  claim: string;
  gold: GoldLabel;
  /** The report's answer, or null when the report has none (or the run failed). */
  verdict: AnswerVerdict | null;
  confidence: 'low' | 'medium' | 'high' | null;
  /** Whether a gold evidence abstract is the paper of a claim or of an evidence item of the report. */
  gold_cited: boolean;
  /** The error code when the run failed (the claim then counts as abstained). */
  error?: string;
}

/**
 * Scores one report against its case. `corpusIdOf` maps a report paper id to the corpus id of the
 * abstract it came from (the gold evidence is named by corpus id).
 */
export function scoreReport(c: AnswerCase, report: Report | undefined, corpusIdOf: (paperId: string) => string | undefined): AnswerRow {
  const cited = new Set<string>();
  for (const claim of report?.claims ?? []) {
    cited.add(claim.paperId);
    for (const e of claim.verification.evidence) cited.add(e.paperId);
  }
  const gold = new Set(c.goldDocs);
  return {
    id: c.id,
    claim: c.claim,
    gold: c.gold,
    verdict: report?.answer?.verdict ?? null,
    confidence: report?.answer?.confidence ?? null,
    gold_cited: [...cited].some((paperId) => gold.has(corpusIdOf(paperId) ?? '')),
  };
}

/**
 * The printed metrics; key names and order are a contract (DESIGN.md, "Evaluation"). Shares are over
 * the SUPPORT and CONTRADICT claims, except `nei_confident`, over the NEI claims; a share over no
 * claims is 0.
 */
export interface AnswerMetrics {
  /** Claims evaluated (ties left out). */
  claims: number;
  /** SUPPORT answered `yes` or CONTRADICT answered `no`. */
  answer_accuracy: number;
  /** SUPPORT answered `no` or CONTRADICT answered `yes`. */
  wrong_direction: number;
  /** Anything else: mixed, insufficient, not-applicable, no answer, a failed run. */
  abstained: number;
  /** A gold evidence abstract is cited by a claim or an evidence item of the report. */
  gold_paper_cited: number;
  /** NEI claims answered `yes` or `no`, whatever the confidence. */
  nei_confident: number;
}

/** Computes the metrics over scored rows. */
export function summarizeAnswers(rows: readonly AnswerRow[]): AnswerMetrics {
  const decided = rows.filter((r) => r.gold !== 'NEI');
  const nei = rows.filter((r) => r.gold === 'NEI');
  const expected = (gold: GoldLabel) => (gold === 'SUPPORT' ? 'yes' : 'no');
  const opposite = (gold: GoldLabel) => (gold === 'SUPPORT' ? 'no' : 'yes');
  const share = (of: readonly AnswerRow[], test: (r: AnswerRow) => boolean) => round4(of.length === 0 ? 0 : of.filter(test).length / of.length);
  return {
    claims: rows.length,
    answer_accuracy: share(decided, (r) => r.verdict === expected(r.gold)),
    wrong_direction: share(decided, (r) => r.verdict === opposite(r.gold)),
    abstained: share(decided, (r) => r.verdict !== expected(r.gold) && r.verdict !== opposite(r.gold)),
    gold_paper_cited: share(decided, (r) => r.gold_cited),
    nei_confident: share(nei, (r) => r.verdict === 'yes' || r.verdict === 'no'),
  };
}

/** The rows an engine that always answers `yes` and cites nothing would get (the baseline). */
export function alwaysYesRows(rows: readonly AnswerRow[]): AnswerRow[] {
  return rows.map(({ error: _error, ...r }) => ({ ...r, verdict: 'yes', confidence: 'high', gold_cited: false }));
}

/** Options of {@link evaluateAnswers}. */
export interface AnswerEvaluationOptions {
  /** Evaluate only the first `limit` claims (in file order, ties left out). */
  limit?: number;
  /** Questions run at once (default 1; the pipeline yields to the event loop between stages). */
  concurrency?: number;
  /** `maxPapers` of every run (the pipeline's default otherwise). */
  maxPapers?: number;
  signal?: AbortSignal;
}

/** What {@link evaluateAnswers} returns: the engine's metrics, the always-yes baseline's, and the rows. */
export interface AnswerEvaluation {
  result: AnswerMetrics;
  baseline: AnswerMetrics;
  rows: AnswerRow[];
  /** Claims left out because their evidence abstracts split evenly between SUPPORT and CONTRADICT. */
  ties: number;
  /** Claims whose run failed (counted as abstained; their rows carry the error code). */
  failed: number;
}

/**
 * Asks every labelled claim through the real pipeline with the given engine. The corpus is loaded
 * and indexed once for the whole run; a run that fails counts as abstained, except cancellation,
 * which stops the evaluation.
 */
export async function evaluateAnswers(
  files: { corpus: string; claims: string },
  engine: Engine,
  options: AnswerEvaluationOptions = {},
): Promise<AnswerEvaluation> {
  const source = createCorpusSource([files.corpus]);
  const [corpus, claims] = await Promise.all([source.load(), readSciFactClaims(files.claims)]);
  const corpusIds = new Map(corpus.papers.map((p) => [p.id, p.ids.corpus]));
  const { cases: all, ties } = answerCases(claims);
  const cases = options.limit === undefined ? all : all.slice(0, Math.max(0, options.limit));
  const synthesize = createSynthesizer({ sources: [source], engine });
  const signal = options.signal ?? new AbortController().signal;

  const rows: AnswerRow[] = new Array(cases.length);
  await forEachConcurrently(cases, options.concurrency ?? 1, async (c, i) => {
    signal.throwIfAborted();
    try {
      const report = await synthesize(
        { question: c.question, ...(options.maxPapers !== undefined ? { maxPapers: options.maxPapers } : {}) },
        { signal },
      );
      rows[i] = scoreReport(c, report, (id) => corpusIds.get(id));
    } catch (error) {
      if (signal.aborted) throw error;
      rows[i] = { ...scoreReport(c, undefined, () => undefined), error: error instanceof SynthError ? error.code : 'internal' };
    }
  });
  return {
    result: summarizeAnswers(rows),
    baseline: summarizeAnswers(alwaysYesRows(rows)),
    rows,
    ties,
    failed: rows.filter((r) => r.error !== undefined).length,
  };
}
