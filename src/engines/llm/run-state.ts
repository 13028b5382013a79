/**
 * What one run of the LLM engine keeps: token usage, fallbacks taken, model output rejected by the
 * guards, and the notes that become the report's limitations and methodology. One per report, so
 * concurrent runs in the bot never mix their accounts.
 */
import { createUsageLedger, LLM_STEPS, type LlmStep, type UsageLedger } from './usage.js';

/** Why an item went to the extractive engine. */
export type FallbackReason =
  /** The reply stayed invalid after one repair attempt. */
  | 'invalid'
  /** The answer cited no reference. */
  | 'uncited'
  /** The model declined. */
  | 'refusal'
  /** The endpoint rejected this request (e.g. HTTP 400: too long). */
  | 'rejected'
  /** The report's token budget was reached. */
  | 'budget'
  /** The endpoint failed earlier in the run (unreachable, timing out, failing). */
  | 'unavailable';

/** Model output the guards rejected. */
export interface Rejections {
  /** Claim quotes not found verbatim in the cited paper. */
  claimQuotes: number;
  /** Claims citing a paper that is not in the run. */
  claimPapers: number;
  /** Evidence quotes not found verbatim in the cited paper. */
  evidenceQuotes: number;
  /** Evidence citing a paper not in the run, or the claim's own paper. */
  evidencePapers: number;
  /** `[n]` citations in the answer that match no reference. */
  answerCitations: number;
  /** Claim ids in the answer's basis that name no claim of the run. */
  answerBasis: number;
  /** Findings whose value or quote is not found verbatim in the cited paper. */
  findingValues: number;
  /** Findings citing a paper the compose step was not given. */
  findingPapers: number;
}

/** The state of one run. */
export interface RunState {
  readonly ledger: UsageLedger;
  readonly rejections: Rejections;
  readonly fallbacks: Map<LlmStep, Map<FallbackReason, number>>;
  repairs: { attempted: number; succeeded: number };
  /** Set when the endpoint failed: later calls are not attempted. */
  endpointFailure?: { step: LlmStep; message: string };
  /** Set when the budget was reached: the message shown once. */
  budgetMessage?: string;
  /** Successful model replies in this run. */
  successfulCalls: number;
  /** Extra limitation lines (e.g. reviewer disagreement). */
  notes: string[];
  /** Extra methodology fields under `llm` (e.g. the reviewers' spread). */
  extra: Record<string, unknown>;
  countFallback(step: LlmStep, reason: FallbackReason): void;
  /** True once the model is not to be called again in this run (endpoint failed or budget reached). */
  readonly stopped: boolean;
}

/** Creates the state of one run with the given token budget (`Infinity` for none). */
export function createRunState(maxTokens: number, prices?: { inputPerMTok: number; outputPerMTok: number }): RunState {
  const fallbacks = new Map<LlmStep, Map<FallbackReason, number>>();
  return {
    ledger: createUsageLedger(maxTokens, prices),
    rejections: { claimQuotes: 0, claimPapers: 0, evidenceQuotes: 0, evidencePapers: 0, answerCitations: 0, answerBasis: 0, findingValues: 0, findingPapers: 0 },
    fallbacks,
    repairs: { attempted: 0, succeeded: 0 },
    successfulCalls: 0,
    notes: [],
    extra: {},
    get stopped() {
      return this.endpointFailure !== undefined || this.ledger.budgetReached;
    },
    countFallback(step, reason) {
      const byReason = fallbacks.get(step) ?? new Map<FallbackReason, number>();
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
      fallbacks.set(step, byReason);
    },
  };
}

const REASON_TEXT: Partial<Record<FallbackReason, string>> = {
  invalid: "the model's reply was not valid JSON in the required structure, even after one repair attempt",
  refusal: 'the model declined to answer',
  rejected: 'the endpoint rejected the request',
  uncited: "the model's answer cited no reference",
};

/** The limitation lines of a run, in plain words. */
export function describeRun(state: RunState, model: string): string[] {
  const out: string[] = [];
  if (state.endpointFailure) out.push(state.endpointFailure.message);
  if (state.budgetMessage) out.push(state.budgetMessage);
  for (const reason of ['invalid', 'uncited', 'refusal', 'rejected'] as const) {
    const perStep = LLM_STEPS.map((step) => [step, state.fallbacks.get(step)?.get(reason) ?? 0] as const).filter(([, n]) => n > 0);
    const total = perStep.reduce((s, [, n]) => s + n, 0);
    if (total === 0) continue;
    out.push(
      `For ${total} item(s) (${perStep.map(([step, n]) => `${step} ${n}`).join(', ')}) ${REASON_TEXT[reason]}, so the extractive engine handled them instead of ${model}.`,
    );
  }
  const r = state.rejections;
  const claimParts = [
    r.claimQuotes ? `${r.claimQuotes} with a quote not found verbatim in the cited paper` : '',
    r.claimPapers ? `${r.claimPapers} citing a paper not in this run` : '',
  ].filter(Boolean);
  if (claimParts.length) out.push(`The model proposed claims that were rejected: ${claimParts.join(', ')}.`);
  const evidenceParts = [
    r.evidenceQuotes ? `${r.evidenceQuotes} with a quote not found verbatim in the cited paper` : '',
    r.evidencePapers ? `${r.evidencePapers} citing a paper not in this run or the claim's own paper` : '',
  ].filter(Boolean);
  if (evidenceParts.length) out.push(`The model cited evidence that was rejected: ${evidenceParts.join(', ')}.`);
  if (r.answerCitations) out.push(`${r.answerCitations} citation(s) in the model's answer matched no reference and were removed.`);
  if (r.answerBasis) out.push(`${r.answerBasis} claim id(s) in the basis of the model's answer named no claim of this report and were removed.`);
  const findingParts = [
    r.findingValues ? `${r.findingValues} with a number or quote not found verbatim in the cited paper` : '',
    r.findingPapers ? `${r.findingPapers} citing a paper it was not given` : '',
  ].filter(Boolean);
  if (findingParts.length) out.push(`The model proposed findings that were dropped: ${findingParts.join(', ')}.`);
  out.push(...state.notes);
  return out;
}
