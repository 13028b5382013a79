/**
 * The plan step with a model: key terms, search terms, a general query, one per source and the
 * question's facets. Key terms drive screening and gap detection in the core, so a key term the model
 * did not copy from the question is demoted to a search term; without any usable key term the
 * extractive plan's are kept. Facets that do not hold together (an effect without its exposure or
 * outcome, a comparison of fewer than two things) are replaced by the extractive plan's, if any.
 */
import type { Facets, Plan, StageContext } from '../engine.js';
import { cleanText } from '../../text/sanitize.js';
import { termSet, terms } from '../../text/tokens.js';
import type { Ask } from './ask.js';
import { dataBlock, PLAN_SYSTEM } from './prompts.js';
import { JSON_SCHEMAS, PlanReplySchema, SCHEMA_NAMES, type PlanReply } from './schemas.js';

/** Most key terms kept. */
export const MAX_KEY_TERMS = 8;
/** Most search terms kept (key terms included). */
export const MAX_TERMS = 20;
/** Longest query kept, in characters. */
export const MAX_QUERY_CHARS = 300;
/** Most alternative terms kept per facet. */
export const MAX_FACET_TERMS = 8;
/** Most things compared kept. */
export const MAX_COMPARED = 4;

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
  const facets = checkFacets(reply.facets) ?? fallback.facets;
  return { query, keyTerms, terms: allTerms, ...(Object.keys(perSource).length > 0 ? { perSource } : {}), ...(facets ? { facets } : {}) };
}

/** Cleans a list of terms: no empty, overlong or word-less terms, no repeats (case aside). */
function clean(items: readonly string[]): string[] {
  const seen = new Set<string>();
  return items
    .map((t) => cleanText(t))
    .filter((t) => t.length > 0 && t.length <= 80 && terms(t).length > 0)
    .filter((t) => !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
}

const DIRECTION = { reduce: -1, any: 0, increase: 1 } as const;

/** The model's facets, cleaned; undefined when they do not hold together for their kind. */
export function checkFacets(reply: PlanReply['facets']): Facets | undefined {
  const facet = (items: readonly string[]) => clean(items).slice(0, MAX_FACET_TERMS);
  const exposure = facet(reply.exposure);
  const outcome = facet(reply.outcome);
  const population = facet(reply.population);
  const compared = reply.kind === 'comparison' ? reply.compared.map(facet).filter((c) => c.length > 0).slice(0, MAX_COMPARED) : [];
  if ((reply.kind === 'effect' || reply.kind === 'association') && (exposure.length === 0 || outcome.length === 0)) return undefined;
  if (reply.kind === 'comparison' && compared.length < 2) return undefined;
  const proposition = reply.kind === 'open' || reply.proposition === null ? '' : clip(cleanText(reply.proposition));
  return {
    kind: reply.kind,
    exposure,
    outcome,
    population,
    compared,
    direction: DIRECTION[reply.direction],
    ...(proposition && terms(proposition).length > 0 ? { proposition } : {}),
  };
}

function clip(text: string): string {
  if (text.length <= MAX_QUERY_CHARS) return text;
  const cut = text.slice(0, MAX_QUERY_CHARS);
  return cut.slice(0, Math.max(cut.lastIndexOf(' '), 1)).trim();
}
