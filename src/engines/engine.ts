/**
 * The judgement steps of a synthesis behind one interface, with two implementations: `extractive`
 * (no key, no model; the default) and `llm`. Ranking, de-duplication, the quote invariant and the
 * report contract belong to the core, so an engine cannot weaken them.
 */
import type { Logger } from 'pino';
import type { ProgressEventInput } from '../events.js';
import type { Answer, Claim, ClaimDraft, Finding, Methodology, Paper, Reference, Review, Verification } from '../model.js';

/**
 * The parts of a question. An effect or association question (`Does X reduce Y in P?`) has an
 * exposure (X), an outcome (Y), optionally a population (P) and the direction it asks about; a
 * comparison (`How does A compare with B on M?`) has the things compared and the measure; an open
 * question (`What is the role of ...`) has only its topic. Each facet is a list of alternative terms
 * (a phrase keeps its spaces); a text addresses a facet when it names any of them.
 */
export interface Facets {
  kind: 'effect' | 'association' | 'comparison' | 'open';
  exposure: string[];
  outcome: string[];
  population: string[];
  /** For a comparison: the things compared (each one facet of alternatives). */
  compared: string[][];
  /** The direction the question asks about: -1 reduce, +1 increase, 0 any effect or association. */
  direction: -1 | 0 | 1;
  /** The question as a statement to verify (`vitamin D supplementation reduces fracture risk`), for yes/no questions. */
  proposition?: string;
  /** True when the question quoted a statement (`Is it true that ...`): its facets are parsed less reliably. */
  fromStatement?: boolean;
}

/** What the engine plans from the question. */
export interface Plan {
  /** The query text sent to every source that has no query of its own in `perSource`. */
  query: string;
  /** Per-source query text (e.g. an LLM engine's PubMed query). */
  perSource?: Record<string, string>;
  /** The question's key concepts (phrases keep their spaces); any not addressed becomes a gap. */
  keyTerms: string[];
  /** Every search term, key terms included. */
  terms: string[];
  /** The question's facets, when the engine parsed them. */
  facets?: Facets;
}

/** Context each step is called with. */
export interface StageContext {
  signal: AbortSignal;
  log: Logger;
  emit: (event: ProgressEventInput) => void;
  /** Reports something the user should know that does not stop the run. */
  warn: (code: string, message: string) => void;
}

/** Input of {@link Engine.extract}. */
export interface ExtractInput {
  question: string;
  plan: Plan;
  /** The included papers, best first. */
  papers: Paper[];
  maxClaims: number;
}

/** Input of {@link Engine.verify}. */
export interface VerifyInput {
  question: string;
  claim: ClaimDraft;
  /** The included papers; evidence must come from papers other than `claim.paperId`. */
  papers: Paper[];
}

/** Input of {@link Engine.review}. */
export interface ReviewInput {
  question: string;
  plan: Plan;
  claims: Claim[];
  papers: Paper[];
  gaps: string[];
  methodology: Methodology;
}

/** Input of {@link Engine.compose}. */
export interface ComposeInput extends ReviewInput {
  reviews: Review[];
  qualityScore: number;
  /** The numbered references: `[n]` in the abstract cites `references[n - 1]`. */
  references: Reference[];
}

/** What the engine writes. */
export interface Composition {
  title: string;
  /** The direct, hedged answer with `[n]` citations. */
  abstract: string;
  /** Extra limitations the engine wants stated. */
  limitations?: string[];
  /** Extra coverage gaps the engine found (the core adds the ones it detects itself). */
  gaps?: string[];
  /** The bottom line; the core checks it against the claims (`reconcileAnswer`). */
  answer?: Answer;
  /** Numbers kept with their findings; the core keeps only values found verbatim in the cited paper. */
  findings?: Finding[];
}

/** An engine: the five judgement steps. */
export interface Engine {
  /** Shown in the methodology (`extractive`, `llm:openai/gpt-4o-mini`, ...). */
  readonly name: string;
  /** How many claims may be verified at once (default 4). */
  readonly concurrency?: number;
  plan(question: string, ctx: StageContext): Promise<Plan>;
  extract(input: ExtractInput, ctx: StageContext): Promise<ClaimDraft[]>;
  verify(input: VerifyInput, ctx: StageContext): Promise<Verification>;
  review(input: ReviewInput, ctx: StageContext): Promise<Review[]>;
  compose(input: ComposeInput, ctx: StageContext): Promise<Composition>;
  /** Extra methodology fields for the report (e.g. token usage), read after the run. */
  methodology?(): Record<string, unknown>;
  /** Limitations the engine wants stated (e.g. a fallback it took), read after the run. */
  limitations?(): string[];
  /**
   * A fresh engine for one run, when the engine keeps per-run state (token usage and budget,
   * fallbacks taken). The core calls it once at the start of every run and uses what it returns
   * for that run, so concurrent runs never share `methodology()` or `limitations()`.
   */
  forRun?(): Engine;
}
