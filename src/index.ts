/**
 * The platform-free core of the research-synthesis bot. Nothing here imports Slack, Discord or the
 * adapters (a test checks it).
 */
export * from './model.js';
export * from './errors.js';
export * from './events.js';
export { loadConfig, parseEnv, CoreEnvSchema, type CoreConfig } from './config.js';
export { createLogger, silentLogger, REDACT_PATHS, type Logger } from './logger.js';
export { createSynthesizer, type Synthesize, type SynthesizerDeps, type SynthesizeOptions } from './pipeline/synthesize.js';
export {
  followUp,
  contextualise,
  isChitChat,
  parseThreadCommand,
  sanitizeFollowUp,
  threadPapers,
  answersQuestion,
  THREAD_SOURCE,
  type FollowUpOptions,
  type FollowUpResult,
  type FollowUpOutcome,
  type ThreadCommand,
} from './pipeline/followup.js';
export { createMemorySource } from './sources/memory.js';
export {
  addPaper,
  describeChanges,
  findReference,
  paperLabel,
  ADDED_SOURCE,
  type AddPaperOptions,
  type AddPaperResult,
  type ReportDiff,
  type AddedPaper,
  type NewClaim,
  type MovedClaim,
  type NewEvidence,
  type RemovedClaim,
  type AnswerChange,
  type ClaimState,
} from './pipeline/add-paper.js';
export {
  lookupPaper,
  requirePaperId,
  parsePaperId,
  describePaperId,
  PAPER_ID_HINT,
  type LookupOptions,
  type LookupResult,
  type LookupAttempt,
  type PaperId,
  type PaperIdKind,
} from './sources/lookup.js';
export type { Engine, Plan, Facets, StageContext, Composition } from './engines/engine.js';
export { createExtractiveEngine } from './engines/extractive/index.js';
export type { Source, SearchQuery, SourceContext } from './sources/source.js';
export { createCorpusSource, loadCorpus, readCorpusFile } from './sources/corpus.js';
export { registerLiveSource, createLiveSources, type LiveSourceFactory, type LiveSourceDeps } from './sources/registry.js';
export { createRuntime, createEngine, registerEngine, type Runtime } from './runtime.js';
export { createStores, type Stores } from './store/store.js';
export { configureSharedLimits, closeSharedLimits, sharedLimitsConfigured, sharedConcurrencyLimiter, type SharedLimitsOptions } from './limits/shared.js';
export type { Limiter, LimitPolicy } from './limits/limiter.js';
export { checkSpacing, maxInFlight, type SpacingReport } from './limits/check.js';
export { createJobRunner, waitMessage, type Admission, type JobRunner, type JobHandle, type Run } from './jobs/runner.js';
export type { JobRecord, JobOrigin, JobStatus, RunOrigin } from './jobs/job.js';
export { createCore, type Core } from './core.js';
export { createProgressTracker, renderProgressLines, describeStage, formatSeconds, type ProgressSnapshot } from './progress.js';
export { renderMarkdown, formatReference } from './render/markdown.js';
export { renderJson } from './render/json.js';
export { renderBibtex } from './render/bibtex.js';
export { sanitizeQuestion, cleanText, neutralizeMentions, MAX_QUESTION_LENGTH } from './text/sanitize.js';
