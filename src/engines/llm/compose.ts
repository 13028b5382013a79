/**
 * The compose step with a model: a title and the direct answer with `[n]` citations, `n` being the
 * position in `ComposeInput.references`, the structured answer (verdict, confidence, the claims it
 * rests on) and the findings table. Citations that match no reference are removed and counted; an
 * abstract left without any valid citation, like a reply that stays invalid, is replaced by the
 * extractive composition as a whole; every coverage gap the core found is said plainly, appended when
 * the model left it out. The answer and the findings pass the guards of `answer.ts`.
 */
import type { ComposeInput, Composition, StageContext } from '../engine.js';
import { cleanText } from '../../text/sanitize.js';
import { composeReport, MAX_TITLE_LENGTH, shortenAtWord } from '../extractive/compose.js';
import { checkModelAnswer, checkModelFindings, composePaperForPrompt, composePapers } from './answer.js';
import type { Ask } from './ask.js';
import { checkCitations } from './citations.js';
import { COMPOSE_SYSTEM, dataBlock } from './prompts.js';
import type { RunState } from './run-state.js';
import { ComposeReplySchema, JSON_SCHEMAS, SCHEMA_NAMES } from './schemas.js';

/** Most extra gaps the model may add. */
export const MAX_MODEL_GAPS = 3;

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
      id: c.id,
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
  const papers = composePapers(input.references, input.papers);
  const result = await ask(
    {
      step: 'compose',
      system: COMPOSE_SYSTEM,
      user: `${dataBlock('question', input.question)}\n${dataBlock('synthesis', view)}\n${dataBlock('papers', papers.map(composePaperForPrompt))}`,
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
  const answer = checkModelAnswer(reply.answer, input.claims, input.references.length, firstSentence(abstract), state);
  const findings = checkModelFindings(reply.findings, papers, state);
  return { title, abstract, ...(gaps.length > 0 ? { gaps } : {}), answer, findings };
}

/** The first sentence of a text (the whole text when it has one sentence). */
function firstSentence(text: string): string {
  return text.match(/^.*?[.!?](?=\s+[A-Z]|$)/)?.[0] ?? text;
}
