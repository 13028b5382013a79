/**
 * The review step with a model: three reviewers with distinct rubrics (coverage, evidence, sources;
 * see `prompts.ts`) score the synthesis 0-10 with a rationale, in parallel. A reviewer whose call
 * falls back is replaced by the extractive reviewer of the same name. When scores differ by more
 * than {@link MAX_AGREEMENT_SPREAD} points (among the model's reviewers) the disagreement is reported.
 */
import type { ReviewInput, StageContext } from '../engine.js';
import type { Review } from '../../model.js';
import { cleanText } from '../../text/sanitize.js';
import { shortenAtWord } from '../extractive/compose.js';
import { reviewCoverage, reviewEvidence, reviewSources } from '../extractive/review.js';
import type { Ask } from './ask.js';
import { abstractText, aliasOf } from './papers.js';
import { dataBlock, reviewSystem, RUBRICS, type Rubric } from './prompts.js';
import type { RunState } from './run-state.js';
import { JSON_SCHEMAS, ReviewReplySchema, SCHEMA_NAMES } from './schemas.js';

/** Scores further apart than this are reported as a disagreement. */
export const MAX_AGREEMENT_SPREAD = 3;
/** Longest rationale kept, in characters. */
export const MAX_RATIONALE_CHARS = 400;
/** Characters of each cited paper's abstract shown to the reviewers. */
const ABSTRACT_EXCERPT = 600;

const FALLBACK: Record<Rubric['name'], (input: ReviewInput) => Review> = {
  coverage: reviewCoverage,
  evidence: reviewEvidence,
  sources: reviewSources,
};

/** The synthesis as the reviewers see it. */
function synthesisView(input: ReviewInput): unknown {
  const alias = new Map(input.papers.map((p, i) => [p.id, aliasOf(i)]));
  const cited = new Set(input.claims.flatMap((c) => [c.paperId, ...c.verification.evidence.map((e) => e.paperId)]));
  const m = input.methodology;
  return {
    claims: input.claims.map((c) => ({
      id: c.id,
      claim: c.text,
      paper: alias.get(c.paperId),
      verdict: c.verification.verdict,
      confidence: c.verification.confidence,
      evidence: c.verification.evidence.map((e) => ({ paper: alias.get(e.paperId), stance: e.stance, quote: e.quote })),
    })),
    papers: input.papers
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => cited.has(p.id))
      .map(({ p, i }) => ({
        id: aliasOf(i),
        title: p.title,
        ...(p.year !== undefined ? { year: p.year } : {}),
        ...(p.venue ? { venue: p.venue } : {}),
        abstract: shortenAtWord(abstractText(p), ABSTRACT_EXCERPT),
      })),
    gaps: input.gaps,
    search: {
      identified: m.identified,
      deduplicated: m.deduplicated,
      screened: m.screened,
      included: m.included,
      failedSources: m.sources.filter((s) => s.status === 'failed').map((s) => s.name),
    },
  };
}

/** Reviews with the model. */
export async function reviewWithModel(input: ReviewInput, ask: Ask, state: RunState, ctx: StageContext): Promise<Review[]> {
  if (input.claims.length === 0 || state.stopped) return RUBRICS.map((r) => FALLBACK[r.name](input));
  const user = `${dataBlock('question', input.question)}\n${dataBlock('synthesis', synthesisView(input))}`;
  const byModel = new Set<Review>();
  const reviews = await Promise.all(
    RUBRICS.map(async (rubric): Promise<Review> => {
      const result = await ask(
        {
          step: 'review',
          system: reviewSystem(rubric),
          user,
          schemaName: SCHEMA_NAMES.review,
          schema: ReviewReplySchema,
          jsonSchema: JSON_SCHEMAS.review,
        },
        ctx,
      );
      if (!result.ok) return FALLBACK[rubric.name](input);
      const rationale = shortenAtWord(cleanText(result.value.rationale), MAX_RATIONALE_CHARS) || 'No rationale given.';
      const review = { reviewer: rubric.name, score: Math.round(result.value.score * 10) / 10, rationale };
      byModel.add(review);
      return review;
    }),
  );
  // Disagreement is the model reviewers': an extractive stand-in scores by other means.
  if (byModel.size < 2) return reviews;
  const scores = [...byModel].map((r) => r.score);
  const spread = Math.round((Math.max(...scores) - Math.min(...scores)) * 10) / 10;
  state.extra.reviewSpread = spread;
  if (spread > MAX_AGREEMENT_SPREAD) {
    state.notes.push(
      `The reviewers disagree by ${spread} points (${[...byModel].map((r) => `${r.reviewer} ${r.score}`).join(', ')}), more than ${MAX_AGREEMENT_SPREAD}; the quality score averages views that differ, so read their rationales.`,
    );
  }
  return reviews;
}
