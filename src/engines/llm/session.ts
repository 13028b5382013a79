/**
 * One run of the LLM engine: the five steps over a model, with the run's own token budget, fallbacks
 * and counts (see `run-state.ts`), and the extractive engine standing by for any item, or the whole
 * rest of the run, the model cannot do.
 */
import type { Limiter } from '../../limits/limiter.js';
import type { Engine } from '../engine.js';
import { createExtractiveEngine } from '../extractive/index.js';
import { createAsk } from './ask.js';
import { composeWithModel } from './compose.js';
import { extractWithModel } from './extract.js';
import { planWithModel } from './plan.js';
import type { ModelProvider } from './provider.js';
import { reviewWithModel } from './review.js';
import { createRunState, describeRun, type RunState } from './run-state.js';
import type { LlmSettings } from './settings.js';
import { createPassageCache, verifyWithModel } from './verify.js';

/** What a session is built from. */
export interface SessionDeps {
  provider: ModelProvider;
  settings: LlmSettings;
  limiter: Limiter;
  /** Token budget of this session (`Infinity` for none). */
  maxTokens: number;
  onError: 'fallback' | 'fail';
}

/** The methodology fields the engine adds under `llm`. */
export function describeUsage(state: RunState, provider: ModelProvider): Record<string, unknown> {
  const fallbacks: Record<string, Record<string, number>> = {};
  for (const [step, byReason] of state.fallbacks) fallbacks[step] = Object.fromEntries(byReason);
  const rejected = Object.fromEntries(Object.entries(state.rejections).filter(([, n]) => n > 0));
  return {
    provider: provider.name,
    model: provider.model,
    ...state.ledger.summary(),
    ...(state.repairs.attempted > 0 ? { repairs: { ...state.repairs } } : {}),
    ...(Object.keys(fallbacks).length > 0 ? { fallbacks } : {}),
    ...(Object.keys(rejected).length > 0 ? { rejected } : {}),
    ...(state.endpointFailure ? { unavailableFrom: state.endpointFailure.step } : {}),
    ...state.extra,
  };
}

/** Creates the engine for one run. */
export function createLlmSession(deps: SessionDeps): Engine {
  const { provider, settings } = deps;
  const state = createRunState(deps.maxTokens, settings.prices);
  const ask = createAsk({ provider, settings, limiter: deps.limiter, state, onError: deps.onError });
  const extractive = createExtractiveEngine();
  const passages = createPassageCache();
  const label = `llm:${provider.name}/${provider.model}`;

  return {
    // A run the model never answered in is the extractive engine's, and says so.
    get name() {
      return state.endpointFailure && state.successfulCalls === 0 ? 'extractive' : label;
    },
    concurrency: settings.concurrency,
    plan: async (question, ctx) => planWithModel(question, ask, await extractive.plan(question, ctx), ctx),
    extract: (input, ctx) => extractWithModel(input, ask, state, ctx),
    verify: (input, ctx) => verifyWithModel(input, ask, state, passages, () => extractive.verify(input, ctx), ctx),
    review: (input, ctx) => reviewWithModel(input, ask, state, ctx),
    compose: (input, ctx) => composeWithModel(input, ask, state, ctx),
    methodology: () => ({ llm: describeUsage(state, provider) }),
    limitations: () => describeRun(state, `${provider.name}/${provider.model}`),
  };
}
