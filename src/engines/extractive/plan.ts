/**
 * Planning without a model: the question's key terms and phrases (`plan-terms.ts`: model names,
 * sizes, metrics, acronyms and `vitamin D`-style phrases kept whole; scaffolding and direction words
 * are not key terms) and its facets (`facets.ts`: exposure, outcome, population, direction).
 */
import type { Plan } from '../engine.js';
import { parseFacets, PROPOSITION_PREFIX, withoutChatMentions } from './facets.js';
import { planTerms } from './plan-terms.js';

/** Plans a search from the question alone. Deterministic. */
export function planFromQuestion(rawQuestion: string): Plan {
  const question = withoutChatMentions(rawQuestion);
  // "Is it true that X?" searches for X: the frame is not a search term.
  const prefix = PROPOSITION_PREFIX.exec(question.trim());
  const terms = planTerms(prefix ? question.trim().slice(prefix[0].length) : question, { sentenceStart: !prefix });
  const facets = parseFacets(question);
  return { ...terms, facets };
}
