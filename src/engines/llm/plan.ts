/**
 * The plan step with a model: key terms, search terms, a general query and one per source. Key terms
 * drive screening and gap detection in the core, so a key term the model did not copy from the
 * question is demoted to a search term; without any usable key term the extractive plan's are kept.
 */
import type { Plan, StageContext } from '../engine.js';
import { cleanText } from '../../text/sanitize.js';
import { termSet, terms } from '../../text/tokens.js';
import type { Ask } from './ask.js';
import { dataBlock, PLAN_SYSTEM } from './prompts.js';
import { JSON_SCHEMAS, PlanReplySchema, SCHEMA_NAMES } from './schemas.js';

/** Most key terms kept. */
export const MAX_KEY_TERMS = 8;
/** Most search terms kept (key terms included). */
export const MAX_TERMS = 20;
/** Longest query kept, in characters. */
export const MAX_QUERY_CHARS = 300;

/** Plans with the model; `fallback` is the extractive plan, used whole or in part. */
export async function planWithModel(question: string, ask: Ask, fallback: Plan, ctx: StageContext): Promise<Plan> {
  const result = await ask(
    {
      step: 'plan',
      system: PLAN_SYSTEM,
      user: dataBlock('question', question),
      schemaName: SCHEMA_NAMES.plan,
      schema: PlanReplySchema,
      jsonSchema: JSON_SCHEMAS.plan,
    },
    ctx,
  );
  if (!result.ok) return fallback;
  const reply = result.value;
  const questionTerms = termSet(question);
  const clean = (items: string[]) => {
    const seen = new Set<string>();
    return items
      .map((t) => cleanText(t))
      .filter((t) => t.length > 0 && t.length <= 80 && terms(t).length > 0)
      .filter((t) => !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
  };
  const proposed = clean(reply.keyTerms);
  const inQuestion = proposed.filter((t) => terms(t).every((s) => questionTerms.has(s))).slice(0, MAX_KEY_TERMS);
  const keyTerms = inQuestion.length > 0 ? inQuestion : fallback.keyTerms;
  const allTerms = clean([...keyTerms, ...proposed, ...reply.searchTerms]).slice(0, MAX_TERMS);
  const query = clip(cleanText(reply.query)) || fallback.query;
  const perSource: Record<string, string> = {};
  for (const [source, text] of Object.entries(reply.perSource)) {
    const q = clip(cleanText(text));
    if (q) perSource[source] = q;
  }
  return { query, keyTerms, terms: allTerms, ...(Object.keys(perSource).length > 0 ? { perSource } : {}) };
}

function clip(text: string): string {
  if (text.length <= MAX_QUERY_CHARS) return text;
  const cut = text.slice(0, MAX_QUERY_CHARS);
  return cut.slice(0, Math.max(cut.lastIndexOf(' '), 1)).trim();
}
