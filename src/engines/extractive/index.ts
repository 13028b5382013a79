/**
 * The extractive engine: no key, no model, no network. Claims are whole finding sentences from the
 * papers; verification, review and the answer are computed. Deterministic: the same papers give the
 * same report. Each run gets its own engine (`forRun`) so its extraction counts stay its own.
 */
import type { Engine } from '../engine.js';
import { composeReport } from './compose.js';
import { extractClaims, type ExtractionCounts } from './extract.js';
import { planFromQuestion } from './plan.js';
import { reviewSynthesis } from './review.js';
import { createPaperCache, verifyClaim } from './verify.js';

/** Creates the extractive engine. */
export function createExtractiveEngine(): Engine {
  const prepare = createPaperCache();
  const make = (counts?: ExtractionCounts): Engine => ({
    name: 'extractive',
    concurrency: 1,
    plan: async (question) => planFromQuestion(question),
    extract: async (input) => extractClaims(input, prepare, counts),
    verify: async (input, ctx) => {
      ctx.signal.throwIfAborted();
      return verifyClaim(input, prepare);
    },
    review: async (input) => reviewSynthesis(input),
    compose: async (input) => composeReport(input, prepare),
    ...(counts ? { methodology: () => ({ claimSelection: { ...counts } }) } : {}),
    forRun: () => make({ sentences: 0, notFindings: 0, offTopic: 0, otherPopulation: 0, claims: 0 }),
  });
  return make();
}
