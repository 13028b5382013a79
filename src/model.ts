/**
 * The data model and the report contract (schema version 1).
 *
 * Field names of {@link ReportSchema} are a public contract (DESIGN.md, "Report JSON"): other tools
 * read `--format json` output, so fields may be added but never renamed or removed.
 */
import { z } from 'zod';

/** Names of the live scholarly sources; a local corpus source is named `corpus` (or `corpus:<file>`). */
export const LIVE_SOURCE_NAMES = ['openalex', 'arxiv', 'crossref', 'semanticscholar', 'pubmed'] as const;
/** One of {@link LIVE_SOURCE_NAMES}. */
export type LiveSourceName = (typeof LIVE_SOURCE_NAMES)[number];

/** Identifiers a paper is known by in the databases that returned it; used for de-duplication. */
export const PaperIdsSchema = z.object({
  doi: z.string().optional(),
  arxiv: z.string().optional(),
  pmid: z.string().optional(),
  openalex: z.string().optional(),
  s2: z.string().optional(),
  corpus: z.string().optional(),
});
/** See {@link PaperIdsSchema}. */
export type PaperIds = z.infer<typeof PaperIdsSchema>;

/**
 * A paper as the pipeline sees it after a source mapped it. `abstract` is plain text; `sentences`,
 * when the source already has the abstract split (SciFact), is kept so quotes match exactly.
 */
export const PaperSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  abstract: z.string(),
  sentences: z.array(z.string()).optional(),
  authors: z.array(z.string()),
  year: z.number().int().optional(),
  venue: z.string().optional(),
  doi: z.string().optional(),
  url: z.string().optional(),
  ids: PaperIdsSchema,
  /** Names of the sources that returned this paper (several after merging). */
  sources: z.array(z.string()),
  citationCount: z.number().int().nonnegative().optional(),
  /** The source's own relevance score or rank, when it has one (higher is better). */
  sourceScore: z.number().optional(),
});
/** See {@link PaperSchema}. */
export type Paper = z.infer<typeof PaperSchema>;

/** Stance of one piece of evidence towards a claim. */
export const StanceSchema = z.enum(['supports', 'contradicts']);
/** See {@link StanceSchema}. */
export type Stance = z.infer<typeof StanceSchema>;

/** Verdict of a claim's verification. */
export const VerdictSchema = z.enum(['supported', 'contradicted', 'insufficient']);
/** See {@link VerdictSchema}. */
export type Verdict = z.infer<typeof VerdictSchema>;

/** One quote from another paper that supports or contradicts a claim. */
export const EvidenceSchema = z.object({
  paperId: z.string(),
  quote: z.string(),
  stance: StanceSchema,
});
/** See {@link EvidenceSchema}. */
export type Evidence = z.infer<typeof EvidenceSchema>;

/**
 * The verification of one claim. `confidence` is how strongly the independent evidence decides the
 * claim: a verdict other than `insufficient` always has confidence >= 0.5, and `insufficient` always
 * has confidence < 0.5 (see `reconcileVerification`).
 */
export const VerificationSchema = z.object({
  verdict: VerdictSchema,
  confidence: z.number().min(0).max(1),
  evidence: z.array(EvidenceSchema),
});
/** See {@link VerificationSchema}. */
export type Verification = z.infer<typeof VerificationSchema>;

/** A claim as an engine proposes it, before the core checks its quote and verifies it. */
export const ClaimDraftSchema = z.object({
  text: z.string().min(1),
  paperId: z.string().min(1),
  quote: z.string().min(1),
});
/** See {@link ClaimDraftSchema}. */
export type ClaimDraft = z.infer<typeof ClaimDraftSchema>;

/** A checked and verified claim, as it appears in the report. */
/**
 * A team member's flag on a claim (the chat's "Flag" action): who, on which platform, when, the
 * optional reason, and the claim's verification before and after the re-verification it triggered.
 */
export const FlagSchema = z.object({
  by: z.string(),
  platform: z.string(),
  at: z.string(),
  reason: z.string().max(1000).optional(),
  reverified: z
    .object({
      before: z.object({ verdict: VerdictSchema, confidence: z.number() }),
      after: z.object({ verdict: VerdictSchema, confidence: z.number() }),
    })
    .optional(),
});
/** See {@link FlagSchema}. */
export type Flag = z.infer<typeof FlagSchema>;

/** A thumbs up or down on the answer (one per person; the latest counts). */
export const FeedbackSchema = z.object({ by: z.string(), platform: z.string(), at: z.string(), vote: z.enum(['up', 'down']) });
/** See {@link FeedbackSchema}. */
export type Feedback = z.infer<typeof FeedbackSchema>;

export const ClaimSchema = ClaimDraftSchema.extend({
  id: z.string(),
  verification: VerificationSchema,
  /** Flags from the team, oldest first (absent when none). */
  flags: z.array(FlagSchema).optional(),
});
/** See {@link ClaimSchema}. */
export type Claim = z.infer<typeof ClaimSchema>;

/** One reviewer's score of the synthesis (0..10) with a one-sentence rationale. */
export const ReviewSchema = z.object({
  reviewer: z.string(),
  score: z.number().min(0).max(10),
  rationale: z.string(),
});
/** See {@link ReviewSchema}. */
export type Review = z.infer<typeof ReviewSchema>;

/**
 * Outcome of one source in a run. `found` is what the source returned; for a source that answered,
 * `identified`, `deduplicated`, `screened` and `included` count the papers it contributed at each
 * stage (a paper found by several sources counts for each of them).
 */
export const SourceStatusSchema = z.object({
  name: z.string(),
  status: z.enum(['ok', 'failed', 'skipped']),
  found: z.number().int().nonnegative(),
  error: z.string().optional(),
  identified: z.number().int().nonnegative().optional(),
  deduplicated: z.number().int().nonnegative().optional(),
  screened: z.number().int().nonnegative().optional(),
  included: z.number().int().nonnegative().optional(),
});
/** See {@link SourceStatusSchema}. */
export type SourceStatus = z.infer<typeof SourceStatusSchema>;

/**
 * PRISMA-style counts. `identified`: records returned by all sources; `deduplicated`: unique records
 * after merging duplicates; `screened`: unique records that passed screening (abstract present, in the
 * year range, relevant to the question); `included`: the screened records the synthesis used.
 */
export const MethodologySchema = z
  .object({
    engine: z.string(),
    sources: z.array(SourceStatusSchema),
    identified: z.number().int().nonnegative(),
    deduplicated: z.number().int().nonnegative(),
    screened: z.number().int().nonnegative(),
    included: z.number().int().nonnegative(),
  })
  .loose();
/** See {@link MethodologySchema}. */
export type Methodology = z.infer<typeof MethodologySchema>;

/**
 * A bibliographic reference; every claim's and every evidence item's `paperId` is one of these.
 *
 * `abstract` (optional; schema version stays 1) is the paper's abstract as the run read it (plain
 * text, the sentences joined by spaces; chat mention syntax made inert and control characters
 * removed, as `cleanText` does), so a follow-up question can be answered from a saved report
 * alone (`pipeline/followup.ts`). Every report made since it was added carries it for every included
 * paper; reports saved before do not, and still parse. The views (Markdown, BibTeX, chat, web) do not
 * print it.
 */
export const ReferenceSchema = z.object({
  id: z.string(),
  title: z.string(),
  authors: z.array(z.string()),
  year: z.number().int().optional(),
  venue: z.string().optional(),
  doi: z.string().optional(),
  url: z.string().optional(),
  abstract: z.string().optional(),
});
/** See {@link ReferenceSchema}. */
export type Reference = z.infer<typeof ReferenceSchema>;

/** The answer's verdict on the question: a yes/no question gets yes, no, mixed or insufficient; an open one `not-applicable`. */
export const AnswerVerdictSchema = z.enum(['yes', 'no', 'mixed', 'insufficient', 'not-applicable']);
/** See {@link AnswerVerdictSchema}. */
export type AnswerVerdict = z.infer<typeof AnswerVerdictSchema>;

/**
 * The bottom line (optional; schema version stays 1). `basis` names the claims of this report the
 * verdict rests on; the core guarantees it never contradicts them (`reconcileAnswer` in
 * `pipeline/invariants.ts`): a yes or no rests on at least one claim that leans that way and is not
 * contradicted, and `insufficient` has no basis that decides it.
 */
export const AnswerSchema = z.object({
  verdict: AnswerVerdictSchema,
  confidence: z.enum(['low', 'medium', 'high']),
  basis: z.array(z.string()),
  /** One or two sentences, with `[n]` citations; the views lead with it. */
  text: z.string(),
});
/** See {@link AnswerSchema}. */
export type Answer = z.infer<typeof AnswerSchema>;

/**
 * A number kept with its finding (optional table; schema version stays 1): `value` is found verbatim
 * in the cited paper's title or abstract (checked by the core), e.g. `{ subject: "Code Llama 70B",
 * measure: "pass@1", value: "44.0%", condition: "BigCodeBench" }`.
 */
export const FindingSchema = z.object({
  paperId: z.string(),
  subject: z.string(),
  measure: z.string(),
  value: z.string(),
  condition: z.string().optional(),
  /** The sentence it was read from (verbatim), when the engine kept it. */
  quote: z.string().optional(),
});
/** See {@link FindingSchema}. */
export type Finding = z.infer<typeof FindingSchema>;

/** Where a follow-up's answer came from: the papers of the report it follows, or a search of the configured sources. */
export const FollowUpScopeSchema = z.enum(['thread', 'widened']);
/** See {@link FollowUpScopeSchema}. */
export type FollowUpScope = z.infer<typeof FollowUpScopeSchema>;

/**
 * What a follow-up report is (optional; schema version stays 1; absent on a report that answers a
 * question of its own): `of` is the id of the report it follows, `question` the follow-up as it was
 * asked ("over 65?"; the report's own `question` is the complete question it was read as), and
 * `scope` where it was answered from: `thread`, the papers of the report it follows only, or
 * `widened`, the configured sources searched because those papers did not answer it. A follow-up
 * that nothing answered has `answer.verdict` `insufficient`, no reviews and `qualityScore` 0 (not
 * scored), and says so in its abstract and gaps.
 */
export const FollowUpSchema = z.object({
  of: z.string(),
  question: z.string(),
  scope: FollowUpScopeSchema,
});
/** See {@link FollowUpSchema}. */
export type FollowUp = z.infer<typeof FollowUpSchema>;

/**
 * What a report made by adding one paper to another is (optional; schema version stays 1; absent on
 * every other report): `of` is the id of the report the paper was added to, `paper` the reference id of
 * the added paper in this report, `requested` the identifier as it was asked for ("10.1056/…",
 * "arXiv:2406.15877", "12345678"), `source` where its record came from (`openalex`, `crossref`, `arxiv`,
 * `pubmed`, `semanticscholar`, `corpus`). The report is that report's question run again over its
 * papers plus the added one (`pipeline/add-paper.ts`).
 */
export const AdditionSchema = z.object({
  of: z.string(),
  paper: z.string(),
  requested: z.string().optional(),
  source: z.string().optional(),
  /** What the addition changed, in plain sentences (`describeChanges`), as the thread is told. */
  changes: z.string().optional(),
});
/** See {@link AdditionSchema}. */
export type Addition = z.infer<typeof AdditionSchema>;

/** The report, exactly as DESIGN.md's "Report JSON" fixes it (extra fields allowed, none renamed). */
export const ReportSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string(),
    question: z.string(),
    title: z.string(),
    abstract: z.string(),
    createdAt: z.string(),
    methodology: MethodologySchema,
    claims: z.array(ClaimSchema),
    reviews: z.array(ReviewSchema),
    qualityScore: z.number().min(0).max(10),
    gaps: z.array(z.string()),
    limitations: z.array(z.string()),
    references: z.array(ReferenceSchema),
    timings: z.object({
      totalMs: z.number().nonnegative(),
      stages: z.record(z.string(), z.number().nonnegative()),
    }),
    answer: AnswerSchema.optional(),
    findings: z.array(FindingSchema).optional(),
    followUp: FollowUpSchema.optional(),
    /** Thumbs up/down on the answer from the team (absent when none). */
    feedback: z.array(FeedbackSchema).optional(),
    /** A revision of an earlier report's question in its thread ("since 2020", "more papers"): which, and how it was refined. */
    revision: z.object({ of: z.string(), refinement: z.string() }).optional(),
    /** A paper added by hand to an earlier report (`add <id>` in its thread, `synthesize add`): see {@link AdditionSchema}. */
    addition: AdditionSchema.optional(),
  })
  .loose();
/** See {@link ReportSchema}. */
export type Report = z.infer<typeof ReportSchema>;

/** What a caller asks the core to do. */
export const RunRequestSchema = z.object({
  question: z.string(),
  maxPapers: z.number().int().positive().optional(),
  maxClaims: z.number().int().positive().optional(),
  yearFrom: z.number().int().optional(),
  yearTo: z.number().int().optional(),
  /**
   * A follow-up in a run's thread: the id of the report it follows. The question is then read in that
   * report's context and answered first from its papers (`src/pipeline/followup.ts`).
   */
  followUpOf: z.string().min(1).optional(),
  /** `add <id>` in a run's thread: the report to add a paper to, and the paper's identifier as asked. */
  addTo: z.object({ of: z.string().min(1), id: z.string().min(1).max(300) }).optional(),
  /** A revision in a run's thread: the report it revises and the refinement asked for ("since 2020"). */
  revisionOf: z.object({ of: z.string().min(1), refinement: z.string().max(200) }).optional(),
});
/** See {@link RunRequestSchema}. */
export type RunRequest = z.infer<typeof RunRequestSchema>;
