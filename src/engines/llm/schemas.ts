/**
 * The structure of each step's reply: one zod schema per step, validated on every reply, and the
 * JSON Schema sent to the model generated from it. Minimal on purpose: only the fields the steps use.
 */
import { z } from 'zod';
import { AnswerSchema, AnswerVerdictSchema } from '../../model.js';
import { toJsonSchema } from './json.js';

/** The plan step's reply. */
export const PlanReplySchema = z.object({
  keyTerms: z.array(z.string()),
  searchTerms: z.array(z.string()),
  query: z.string(),
  perSource: z.object({
    openalex: z.string(),
    arxiv: z.string(),
    crossref: z.string(),
    semanticscholar: z.string(),
    pubmed: z.string(),
  }),
  /** The question's parts (`Facets` in `engine.ts`); `direction` as a word, mapped to -1/0/+1 in code. */
  facets: z.object({
    kind: z.enum(['effect', 'association', 'comparison', 'open']),
    exposure: z.array(z.string()),
    outcome: z.array(z.string()),
    population: z.array(z.string()),
    compared: z.array(z.array(z.string())),
    direction: z.enum(['reduce', 'increase', 'any']),
    proposition: z.string().nullable(),
  }),
});

/** See {@link PlanReplySchema}. */
export type PlanReply = z.infer<typeof PlanReplySchema>;

/** The extract step's reply. */
export const ExtractReplySchema = z.object({
  findings: z.array(
    z.object({
      paperId: z.string(),
      quote: z.string(),
      claim: z.string(),
      relevance: z.number().min(0).max(1),
    }),
  ),
});

/** The verify step's reply. */
export const VerifyReplySchema = z.object({
  evidence: z.array(
    z.object({
      paperId: z.string(),
      quote: z.string(),
      stance: z.enum(['supports', 'contradicts']),
    }),
  ),
  verdict: z.enum(['supported', 'contradicted', 'insufficient']),
  confidence: z.number().min(0).max(1),
  rationale: z.string(),
});

/** One reviewer's reply. */
export const ReviewReplySchema = z.object({
  score: z.number().min(0).max(10),
  rationale: z.string(),
});

/**
 * The compose step's reply: the title, the abstract, extra gaps, the structured answer and the
 * findings table. `answer` and `findings` are required: a reply without them is invalid (one repair
 * attempt, then the extractive composition). `condition` is nullable rather than optional because
 * strict structured outputs want every property present.
 */
export const ComposeReplySchema = z.object({
  title: z.string(),
  abstract: z.string(),
  gaps: z.array(z.string()),
  answer: z.object({
    verdict: AnswerVerdictSchema,
    confidence: AnswerSchema.shape.confidence,
    basis: z.array(z.string()),
    text: z.string().min(1),
  }),
  findings: z.array(
    z.object({
      paperId: z.string(),
      subject: z.string(),
      measure: z.string(),
      value: z.string(),
      condition: z.string().nullable(),
      quote: z.string(),
    }),
  ),
});
/** See {@link ComposeReplySchema}. */
export type ComposeReply = z.infer<typeof ComposeReplySchema>;

/** Schema names as sent to the model (`response_format.json_schema.name`, the Anthropic tool name). */
export const SCHEMA_NAMES = {
  plan: 'search_plan',
  extract: 'findings',
  verify: 'verification',
  review: 'review',
  compose: 'answer',
} as const;

/** The JSON Schemas, generated once. */
export const JSON_SCHEMAS = {
  plan: toJsonSchema(PlanReplySchema),
  extract: toJsonSchema(ExtractReplySchema),
  verify: toJsonSchema(VerifyReplySchema),
  review: toJsonSchema(ReviewReplySchema),
  compose: toJsonSchema(ComposeReplySchema),
} as const;
