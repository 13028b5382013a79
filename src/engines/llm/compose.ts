/**
 * The compose step with a model: a title and the direct answer with `[n]` citations, `n` being the
 * position in `ComposeInput.references`. Citations that match no reference are removed and counted;
 * an answer left without any valid citation is replaced by the extractive one; every coverage gap the
 * core found is said plainly, appended when the model left it out.
 */
import type { ComposeInput, Composition, StageContext } from '../engine.js';
import { cleanText } from '../../text/sanitize.js';
import { composeReport, MAX_TITLE_LENGTH, shortenAtWord } from '../extractive/compose.js';
import type { Ask } from './ask.js';
import { COMPOSE_SYSTEM, dataBlock } from './prompts.js';
import type { RunState } from './run-state.js';
import { ComposeReplySchema, JSON_SCHEMAS, SCHEMA_NAMES } from './schemas.js';

/** Most extra gaps the model may add. */
export const MAX_MODEL_GAPS = 3;

const CITATION = /\[(\d+(?:\s*[-–,]\s*\d+)*)\]/g;

/** Rewrites `[n]` citations keeping those in 1..count; returns the text, the kept and the dropped counts. */
export function checkCitations(text: string, count: number): { text: string; kept: number; dropped: number } {
  let kept = 0;
  let dropped = 0;
  const out = text.replace(CITATION, (_m, inner: string) => {
    const numbers: number[] = [];
    for (const part of inner.split(',')) {
      const [from = 0, to = from] = part.split(/[-–]/).map((x) => Number(x.trim()));
      if (to - from > 50 || to < from) {
        dropped++;
        continue;
      }
      for (let n = from; n <= to; n++) numbers.push(n);
    }
    const valid = [...new Set(numbers.filter((n) => n >= 1 && n <= count))];
    dropped += new Set(numbers).size - valid.length;
    kept += valid.length;
    return valid.length ? `[${valid.join(', ')}]` : '';
  });
  return { text: out.replace(/\s+([.,;:])/g, '$1').replace(/\s{2,}/g, ' ').trim(), kept, dropped };
}

/** The quoted key term of a core gap (`No retrieved source addresses "X".`), if any. */
function gapTerm(gap: string): string | undefined {
  return gap.match(/"([^"]+)"/)?.[1];
}

/** Composes with the model; falls back to the extractive composition. */
export async function composeWithModel(input: ComposeInput, ask: Ask, state: RunState, ctx: StageContext): Promise<Composition> {
  if (input.claims.length === 0 || state.stopped) return composeReport(input);
  const number = new Map(input.references.map((r, i) => [r.id, i + 1]));
  const view = {
    references: input.references.map((r, i) => ({ n: i + 1, title: r.title, ...(r.year !== undefined ? { year: r.year } : {}) })),
    claims: input.claims.map((c) => ({
      claim: c.text,
      ref: number.get(c.paperId),
      verdict: c.verification.verdict,
      confidence: c.verification.confidence,
      evidence: c.verification.evidence.map((e) => ({ ref: number.get(e.paperId), stance: e.stance })),
    })),
    gaps: input.gaps,
    qualityScore: input.qualityScore,
    reviews: input.reviews.map((r) => ({ reviewer: r.reviewer, score: r.score })),
  };
  const result = await ask(
    {
      step: 'compose',
      system: COMPOSE_SYSTEM,
      user: `${dataBlock('question', input.question)}\n${dataBlock('synthesis', view)}`,
      schemaName: SCHEMA_NAMES.compose,
      schema: ComposeReplySchema,
      jsonSchema: JSON_SCHEMAS.compose,
    },
    ctx,
  );
  if (!result.ok) return composeReport(input);
  const reply = result.value;
  const checked = checkCitations(cleanText(reply.abstract), input.references.length);
  state.rejections.answerCitations += checked.dropped;
  if (checked.kept === 0) {
    state.countFallback('compose', 'uncited');
    return composeReport(input);
  }
  let abstract = checked.text;
  const lower = abstract.toLowerCase();
  const unsaid = input.gaps.filter((g) => {
    const term = gapTerm(g);
    return term ? !lower.includes(term.toLowerCase()) : !lower.includes(g.toLowerCase());
  });
  if (unsaid.length > 0) {
    abstract = `${abstract} Not addressed by the retrieved sources: ${unsaid.map((g) => g.replace(/\.$/, '')).join('; ')}.`;
  }
  const title = shortenAtWord(checkCitations(cleanText(reply.title), 0).text, MAX_TITLE_LENGTH) || shortenAtWord(`Evidence synthesis: ${input.question}`, MAX_TITLE_LENGTH);
  const known = new Set(input.gaps.map((g) => g.toLowerCase()));
  const gaps = reply.gaps
    .map((g) => shortenAtWord(cleanText(g), 300))
    .filter((g) => g.split(' ').length >= 3 && !known.has(g.toLowerCase()))
    .slice(0, MAX_MODEL_GAPS)
    .map((g) => (/[.!?]$/.test(g) ? g : `${g}.`));
  return { title, abstract, ...(gaps.length > 0 ? { gaps } : {}) };
}
