/**
 * Token accounting for one report: calls and prompt/completion tokens per step and in total, the
 * estimated cost when prices are configured, and the per-report budget. Before a call the engine
 * reserves its prompt estimate plus the most the reply may use; the call only goes ahead when used
 * plus reserved tokens stay within the budget, so concurrent calls cannot overrun it together.
 */
import type { TokenUsage } from './provider.js';

/** The engine's steps that call the model, in run order. */
export const LLM_STEPS = ['plan', 'extract', 'verify', 'review', 'compose'] as const;
/** One of {@link LLM_STEPS}. */
export type LlmStep = (typeof LLM_STEPS)[number];

/** Calls and tokens of one step (or of the whole report). */
export interface StepTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

/** What the report's methodology shows under `llm.usage`. */
export interface UsageSummary extends StepTotals {
  totalTokens: number;
  /** Present when some provider replies carried no usage and their tokens were estimated. */
  estimated?: true;
  steps: Partial<Record<LlmStep, StepTotals>>;
  budget: { maxTokens: number | null; reached: boolean; reachedAt?: LlmStep };
  /** US dollars, when `LLM_PRICE_INPUT_PER_MTOK` and `LLM_PRICE_OUTPUT_PER_MTOK` are set. */
  estimatedCostUsd?: number;
}

/** Tokens held for a call in flight. */
export interface Reservation {
  readonly tokens: number;
}

/** The ledger of one report. */
export interface UsageLedger {
  /** Reserves `tokens` for a call at `step`; undefined (and the budget marked reached) when it does not fit. */
  reserve(step: LlmStep, tokens: number): Reservation | undefined;
  /** Records a finished call and releases its reservation. */
  record(step: LlmStep, usage: TokenUsage, reservation: Reservation): void;
  /** Releases a reservation of a call that used no tokens (it failed before answering). */
  release(reservation: Reservation): void;
  /** True once a call was refused for lack of budget. */
  readonly budgetReached: boolean;
  summary(): UsageSummary;
}

/** Creates a ledger; `maxTokens` is the report's budget (`Infinity` for none). */
export function createUsageLedger(maxTokens: number, prices?: { inputPerMTok: number; outputPerMTok: number }): UsageLedger {
  const steps = new Map<LlmStep, StepTotals>();
  let used = 0;
  let reserved = 0;
  let estimated = false;
  let reachedAt: LlmStep | undefined;

  return {
    reserve(step, tokens) {
      if (reachedAt !== undefined || used + reserved + tokens > maxTokens) {
        reachedAt ??= step;
        return undefined;
      }
      reserved += tokens;
      return { tokens };
    },
    record(step, usage, reservation) {
      reserved -= reservation.tokens;
      const totals = steps.get(step) ?? { calls: 0, promptTokens: 0, completionTokens: 0 };
      totals.calls++;
      totals.promptTokens += usage.promptTokens;
      totals.completionTokens += usage.completionTokens;
      steps.set(step, totals);
      used += usage.promptTokens + usage.completionTokens;
      if (usage.estimated) estimated = true;
      // A reply that used more than was reserved can take the report past its budget: stop there.
      if (used >= maxTokens) reachedAt ??= step;
    },
    release(reservation) {
      reserved -= reservation.tokens;
    },
    get budgetReached() {
      return reachedAt !== undefined;
    },
    summary() {
      const ordered: Partial<Record<LlmStep, StepTotals>> = {};
      let calls = 0;
      let promptTokens = 0;
      let completionTokens = 0;
      for (const step of [...steps.keys()].sort((a, b) => LLM_STEPS.indexOf(a) - LLM_STEPS.indexOf(b))) {
        const t = steps.get(step)!;
        ordered[step] = { ...t };
        calls += t.calls;
        promptTokens += t.promptTokens;
        completionTokens += t.completionTokens;
      }
      const out: UsageSummary = {
        calls,
        promptTokens,
        completionTokens,
        totalTokens: promptTokens + completionTokens,
        steps: ordered,
        budget: {
          maxTokens: Number.isFinite(maxTokens) ? maxTokens : null,
          reached: reachedAt !== undefined,
          ...(reachedAt ? { reachedAt } : {}),
        },
      };
      if (estimated) out.estimated = true;
      if (prices) {
        out.estimatedCostUsd = Math.round(((promptTokens * prices.inputPerMTok + completionTokens * prices.outputPerMTok) / 1e6) * 1e6) / 1e6;
      }
      return out;
    },
  };
}
