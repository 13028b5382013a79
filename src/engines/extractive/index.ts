/**
 * The extractive engine: no key, no model, no network. Claims are whole sentences from the papers;
 * verification, review and the answer are computed. Deterministic: the same papers give the same report.
 */
import type { Engine } from '../engine.js';
import { composeReport } from './compose.js';
import { extractClaims } from './extract.js';
import { planFromQuestion } from './plan.js';
import { reviewSynthesis } from './review.js';
import { createPaperCache, verifyClaim } from './verify.js';

/** Creates the extractive engine. */
export function createExtractiveEngine(): Engine {
  const prepare = createPaperCache();
  return {
    name: 'extractive',
    concurrency: 1,
    plan: async (question) => planFromQuestion(question),
    extract: async (input) => extractClaims(input),
    verify: async (input, ctx) => {
      ctx.signal.throwIfAborted();
      return verifyClaim(input, prepare);
    },
    review: async (input) => reviewSynthesis(input),
    compose: async (input) => composeReport(input),
  };
}
