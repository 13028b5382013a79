/**
 * The orchestrator: plan -> search (all sources in parallel) -> merge/de-duplicate -> screen/rank ->
 * extract -> verify -> review -> compose. One `AbortSignal` runs through every stage; every stage emits
 * progress events and is timed; the invariants of `invariants.ts` are enforced here for any engine.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import type { Engine, Plan, StageContext } from '../engines/engine.js';
import { asSynthError, isAbortError, SourceError, SynthError } from '../errors.js';
import { createEmitter, type ProgressEventInput, type ProgressListener, type Stage } from '../events.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Claim, Methodology, Paper, Report, RunRequest, SourceStatus } from '../model.js';
import type { Source } from '../sources/source.js';
import { redactSecrets } from '../text/redact.js';
import { sanitizeQuestion } from '../text/sanitize.js';
import {
  aggregateScore,
  buildReferences,
  checkClaims,
  checkFindings,
  reconcileAnswer,
  findGaps,
  reconcileVerification,
  type RejectionReason,
} from './invariants.js';
import { mergePapers } from './merge.js';
import { screenPapers, type ExclusionReason } from './screen.js';

/** Default number of papers included in a synthesis. */
export const DEFAULT_MAX_PAPERS = 20;
/** Default number of claims extracted. */
export const DEFAULT_MAX_CLAIMS = 8;
/** Default time one source may take, retries included. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 20_000;

/** What a synthesizer is built from. Every outside dependency is passed in. */
export interface SynthesizerDeps {
  sources: Source[];
  /** Sources configured but not run (e.g. `--offline`), listed as `skipped` in the methodology. */
  skippedSources?: { name: string; reason: string }[];
  engine: Engine;
  log?: Logger;
  /** Milliseconds one source may take before it is marked failed. */
  sourceTimeoutMs?: number;
  /** How many candidates each source is asked for (default: 3 x maxPapers, at least 25). */
  candidatesPerSource?: number;
  now?: () => number;
  newId?: () => string;
  /**
   * Configured secret values (API keys): cut out of every warning, limitation, source error and
   * failure message, so a server that echoes a key in its error text cannot put it in a report.
   */
  secrets?: readonly string[];
}

/** Per-call options. */
export interface SynthesizeOptions {
  onEvent?: ProgressListener | ProgressListener[];
  signal?: AbortSignal;
  /** Use this id for the run and its report (the job runner assigns it). */
  runId?: string;
  /**
   * Where each stage's output is saved as it finishes, and found again when the run is resumed after
   * its process stopped: a resumed run skips the stages already done (`src/jobs/checkpoints.ts`).
   */
  checkpoint?: StageCheckpoints;
}

/** What a finished stage leaves for a resumed run: its output, and the run's state after it. */
export interface StageCheckpoint {
  out: unknown;
  ms: number;
  /** Every warning so far. */
  warnings: string[];
  droppedEvidence: number;
}

/** Saved stage outputs of one run. */
export interface StageCheckpoints {
  load(stage: Stage): Promise<StageCheckpoint | undefined>;
  save(stage: Stage, checkpoint: StageCheckpoint): Promise<void>;
}

/** Runs one synthesis; resolves to a report or rejects with a {@link SynthError}. */
export type Synthesize = (request: RunRequest, options?: SynthesizeOptions) => Promise<Report>;

/**
 * Lets pending I/O run. The extractive engine is CPU-bound; without a macrotask break between stages
 * (and between claim verifications) a queue of runs would keep a bot from acking chat requests in time.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Creates the `synthesize` function over the given sources and engine. */
export function createSynthesizer(deps: SynthesizerDeps): Synthesize {
  return (request, options = {}) => runSynthesis(deps, request, options);
}

async function runSynthesis(deps: SynthesizerDeps, request: RunRequest, options: SynthesizeOptions): Promise<Report> {
  const now = deps.now ?? Date.now;
  const runId = options.runId ?? (deps.newId ?? randomUUID)();
  const log = (deps.log ?? silentLogger).child({ runId });
  const listeners = options.onEvent === undefined ? [] : Array.isArray(options.onEvent) ? options.onEvent : [options.onEvent];
  const emit = createEmitter(runId, listeners, log, now);
  const signal = options.signal ?? new AbortController().signal;
  const startedAt = now();
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  const redact = (text: string) => redactSecrets(text, deps.secrets ?? []);
  const warn = (code: string, raw: string, stage?: Stage) => {
    const message = redact(raw);
    warnings.push(message);
    log.warn({ code, stage }, message);
    emit(stage ? { type: 'warning', stage, code, message } : { type: 'warning', code, message });
  };

  try {
    const question = sanitizeQuestion(request.question);
    emit({ type: 'run-started', question });
    const maxPapers = request.maxPapers ?? DEFAULT_MAX_PAPERS;
    const maxClaims = request.maxClaims ?? DEFAULT_MAX_CLAIMS;
    const engine = deps.engine.forRun?.() ?? deps.engine;

    let droppedEvidence = 0;
    const checkpoint = options.checkpoint;
    const stage = async <T>(name: Stage, work: (ctx: StageContext) => Promise<T>, counts: (out: T) => Record<string, number>) => {
      await yieldToEventLoop();
      signal.throwIfAborted();
      const saved = await checkpoint?.load(name).catch((error: unknown) => {
        log.warn({ err: error, stage: name }, 'could not read a checkpoint; the stage runs again');
        return undefined;
      });
      if (saved) {
        // Done before the run's process stopped: its output and the run's state after it, as they were.
        const out = saved.out as T;
        warnings.splice(0, warnings.length, ...saved.warnings);
        droppedEvidence = saved.droppedEvidence;
        timings[name] = saved.ms;
        emit({ type: 'stage-started', stage: name });
        emit({ type: 'stage-finished', stage: name, ms: saved.ms, counts: counts(out), resumed: true });
        return out;
      }
      emit({ type: 'stage-started', stage: name });
      const t0 = now();
      const ctx: StageContext = {
        signal,
        log: log.child({ stage: name }),
        emit: (event: ProgressEventInput) => emit(event),
        warn: (code, message) => warn(code, message, name),
      };
      const out = await work(ctx);
      signal.throwIfAborted();
      const ms = now() - t0;
      timings[name] = ms;
      if (checkpoint) {
        await checkpoint.save(name, { out, ms, warnings: [...warnings], droppedEvidence }).catch((error: unknown) => {
          log.warn({ err: error, stage: name }, 'could not save a checkpoint');
        });
      }
      emit({ type: 'stage-finished', stage: name, ms, counts: counts(out) });
      return out;
    };

    const plan = await stage('plan', (ctx) => engine.plan(question, ctx), (p) => ({ terms: p.terms.length, keyTerms: p.keyTerms.length }));

    const search = await stage(
      'search',
      (ctx) => searchAll(deps, plan, question, request, maxPapers, ctx, emit),
      (s) => ({ identified: s.records.length, sourcesOk: s.statuses.filter((x) => x.status === 'ok').length }),
    );
    const merged = await stage('dedupe', async () => mergePapers(search.records), (m) => ({
      unique: m.papers.length,
      duplicates: m.duplicates,
    }));
    const screen = await stage('screen', async () => screenPapers(merged.papers, plan, request), (s) => ({
      screened: s.screened.length,
      excluded: Object.values(s.excluded).reduce((a, b) => a + (b ?? 0), 0),
    }));
    const included = screen.screened.slice(0, maxPapers);
    const papersById = new Map(included.map((p) => [p.id, p]));

    const extraction = await stage(
      'extract',
      async (ctx) => {
        const drafts = included.length === 0 ? [] : await engine.extract({ question, plan, papers: included, maxClaims }, ctx);
        return checkClaims(drafts, papersById);
      },
      (x) => ({ claims: x.accepted.length, rejected: x.rejected.length }),
    );
    const drafts = extraction.accepted.slice(0, maxClaims);

    const claims = await stage(
      'verify',
      async (ctx) => {
        const queue = new PQueue({ concurrency: Math.max(1, engine.concurrency ?? 4) });
        let done = 0;
        const results = await Promise.all(
          drafts.map((claim, i) =>
            // No per-task abort listener (p-queue's `signal` option adds one per claim to the run's
            // signal); each task checks the signal itself.
            queue.add(
              async (): Promise<Claim> => {
                await yieldToEventLoop();
                signal.throwIfAborted();
                const raw = await engine.verify({ question, claim, papers: included }, ctx);
                const checked = reconcileVerification(raw, claim, papersById);
                droppedEvidence += checked.droppedEvidence;
                done++;
                ctx.emit({ type: 'stage-progress', stage: 'verify', done, total: drafts.length, detail: `claim ${done} of ${drafts.length}` });
                return { id: `c${i + 1}`, ...claim, verification: checked.verification };
              },
            ),
          ),
        );
        return results as Claim[];
      },
      (c) => ({
        claims: c.length,
        supported: c.filter((x) => x.verification.verdict === 'supported').length,
        contradicted: c.filter((x) => x.verification.verdict === 'contradicted').length,
      }),
    );

    const methodology: Methodology = {
      engine: engine.name,
      sources: withStageCounts(search.statuses, search.records, merged.papers, screen.screened, included),
      identified: search.records.length,
      deduplicated: merged.papers.length,
      screened: screen.screened.length,
      included: included.length,
      excluded: screen.excluded,
      ...(engine.methodology?.() ?? {}),
    };
    const gaps = findGaps(plan.keyTerms, claims, included);

    const reviewed = await stage(
      'review',
      async (ctx) => {
        const reviews = await engine.review({ question, plan, claims, papers: included, gaps, methodology }, ctx);
        return { reviews, qualityScore: aggregateScore(reviews, gaps, claims.length) };
      },
      (r) => ({ reviewers: r.reviews.length, qualityScore: r.qualityScore }),
    );

    const references = buildReferences(claims, included);
    const composition = await stage(
      'compose',
      (ctx) => engine.compose({ question, plan, claims, papers: included, gaps, methodology, references, ...reviewed }, ctx),
      () => ({ references: references.length }),
    );

    const allGaps = [...gaps, ...(composition.gaps ?? []).filter((g) => !gaps.includes(g))];
    const answer = composition.answer ? reconcileAnswer(composition.answer, claims, references) : undefined;
    if (answer?.changed) log.info({ proposed: composition.answer, kept: answer.answer }, 'answer reconciled with its claims');
    if (answer && composition.answer && answer.answer.verdict !== composition.answer.verdict) {
      warnings.push(
        `The engine answered "${composition.answer.verdict}", but the claims that answer rests on do not bear it out (contradicted or missing), so the answer shown is "${answer.answer.verdict}".`,
      );
    }
    // The abstract leads with the engine's answer; when the core corrected the answer, it leads with the correction.
    const abstract =
      answer && composition.answer && answer.answer.text !== composition.answer.text && composition.abstract.startsWith(composition.answer.text)
        ? `${answer.answer.text}${composition.abstract.slice(composition.answer.text.length)}`
        : composition.abstract;
    const findings = composition.findings ? checkFindings(composition.findings, papersById) : undefined;
    if (findings && findings.dropped > 0) {
      warnings.push(`${findings.dropped} number(s) proposed for the findings table were dropped because they were not found verbatim in the cited paper.`);
    }
    const limitations = buildLimitations({
      engineName: engine.name,
      statuses: search.statuses,
      rejected: extraction.rejected,
      droppedEvidence,
      excluded: screen.excluded,
      included: included.length,
      claims: claims.length,
      gaps: allGaps,
      warnings,
      extra: [...(composition.limitations ?? []), ...(engine.limitations?.() ?? [])],
    });
    const report: Report = {
      schemaVersion: 1,
      id: runId,
      question,
      title: composition.title,
      abstract,
      createdAt: new Date(startedAt).toISOString(),
      // Read again after the last step, so usage the engine reports covers review and compose too.
      methodology: { ...methodology, ...(engine.methodology?.() ?? {}) },
      claims,
      reviews: reviewed.reviews,
      qualityScore: allGaps.length > 0 ? Math.min(reviewed.qualityScore, 5) : reviewed.qualityScore,
      gaps: allGaps,
      limitations: limitations.map(redact),
      references,
      timings: { totalMs: now() - startedAt, stages: timings },
      ...(answer ? { answer: answer.answer } : {}),
      ...(findings ? { findings: findings.findings } : {}),
    };
    emit({ type: 'run-finished', reportId: report.id, claims: claims.length, qualityScore: report.qualityScore });
    return report;
  } catch (error) {
    const caught = signal.aborted && isAbortError(error) ? new SynthError('cancelled', 'The run was cancelled.', { cause: error }) : asSynthError(error);
    const clean = redact(caught.message);
    const failure = clean === caught.message ? caught : new SynthError(caught.code, clean, { cause: caught });
    emit({ type: 'run-failed', code: failure.code, message: failure.message });
    throw failure;
  }
}

interface SearchOutcome {
  records: Paper[];
  statuses: SourceStatus[];
}

async function searchAll(
  deps: SynthesizerDeps,
  plan: Plan,
  question: string,
  request: RunRequest,
  maxPapers: number,
  ctx: StageContext,
  emit: (event: ProgressEventInput) => void,
): Promise<SearchOutcome> {
  const timeoutMs = deps.sourceTimeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const maxResults = deps.candidatesPerSource ?? Math.max(25, maxPapers * 3);
  if (deps.sources.length === 0) {
    throw new SynthError(
      'no_sources',
      'No source to search: pass --corpus FILE, or enable live sources (--sources / SYNTH_SOURCES) without --offline.',
    );
  }
  const outcomes = await Promise.all(
    deps.sources.map(async (source) => {
      const t0 = performance.now();
      emit({ type: 'source-started', source: source.name });
      // A local source (the corpus) may first build its index, which can take longer than a live
      // source's budget; it reports that build's progress instead, and the run's own signal still stops it.
      const timeout = source.local ? new AbortController().signal : AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      try {
        const papers = await source.search(
          {
            question,
            text: plan.perSource?.[source.name] ?? plan.query,
            terms: plan.terms,
            maxResults,
            yearFrom: request.yearFrom,
            yearTo: request.yearTo,
          },
          {
            signal,
            log: ctx.log.child({ source: source.name }),
            warn: ctx.warn,
            progress: (detail) => emit({ type: 'stage-progress', stage: 'search', done: 0, total: 0, detail }),
          },
        );
        const ms = Math.round(performance.now() - t0);
        emit({ type: 'source-finished', source: source.name, status: 'ok', found: papers.length, ms });
        return { papers, status: { name: source.name, status: 'ok', found: papers.length } as SourceStatus };
      } catch (error) {
        if (ctx.signal.aborted) throw error instanceof SourceError ? (ctx.signal.reason ?? error) : error;
        const seconds = timeoutMs % 1000 === 0 ? String(timeoutMs / 1000) : (timeoutMs / 1000).toFixed(1);
        // A source error at the deadline is a failure the source was waiting to retry: say which.
        const timedOut = timeout.aborted && !(error instanceof SourceError);
        const described = timedOut ? `timed out after ${seconds} s` : describeSourceError(error, source.name);
        const reason = redactSecrets(
          timeout.aborted && !timedOut ? `${described}; the ${seconds} s budget ran out before it could be retried` : described,
          deps.secrets ?? [],
        );
        ctx.log.warn({ err: error, source: source.name }, 'source failed');
        const ms = Math.round(performance.now() - t0);
        emit({ type: 'source-finished', source: source.name, status: 'failed', found: 0, error: reason, ms });
        return { papers: [] as Paper[], status: { name: source.name, status: 'failed', found: 0, error: reason } as SourceStatus };
      }
    }),
  );
  const statuses = outcomes.map((o) => o.status);
  for (const skipped of deps.skippedSources ?? []) {
    statuses.push({ name: skipped.name, status: 'skipped', found: 0, error: skipped.reason });
    emit({ type: 'source-finished', source: skipped.name, status: 'skipped', found: 0, error: skipped.reason, ms: 0 });
  }
  if (outcomes.every((o) => o.status.status === 'failed')) {
    throw new SynthError(
      'all_sources_failed',
      `Every source failed: ${outcomes.map((o) => `${o.status.name} (${o.status.error})`).join('; ')}.`,
    );
  }
  return { records: outcomes.flatMap((o) => o.papers), statuses };
}

/** The failure reason shown beside the source's name (so without a leading "name: "). */
function describeSourceError(error: unknown, name: string): string {
  const message = error instanceof SourceError ? error.message : asSynthError(error).message;
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

/** Adds per-source counts at each stage (a merged paper counts for every source that found it). */
function withStageCounts(
  statuses: SourceStatus[],
  records: Paper[],
  unique: Paper[],
  screened: Paper[],
  included: Paper[],
): SourceStatus[] {
  const countBy = (papers: Paper[], name: string) => papers.filter((p) => p.sources.includes(name)).length;
  return statuses.map((s) =>
    s.status === 'ok'
      ? {
          ...s,
          identified: countBy(records, s.name),
          deduplicated: countBy(unique, s.name),
          screened: countBy(screened, s.name),
          included: countBy(included, s.name),
        }
      : s,
  );
}

function buildLimitations(input: {
  engineName: string;
  statuses: SourceStatus[];
  rejected: { reason: RejectionReason }[];
  droppedEvidence: number;
  excluded: Partial<Record<ExclusionReason, number>>;
  included: number;
  claims: number;
  gaps: string[];
  warnings: string[];
  extra: string[];
}): string[] {
  const out: string[] = [];
  out.push(
    input.engineName === 'extractive'
      ? 'Claims, verification and reviews were computed by the extractive engine (lexical matching, no language model); it cannot judge study design or paraphrase, and it can miss evidence phrased in other words.'
      : `Judgement steps used the ${input.engineName} engine; every quote was still checked verbatim against its paper.`,
  );
  out.push('Only titles and abstracts were read, not full texts.');
  const failed = input.statuses.filter((s) => s.status === 'failed');
  if (failed.length > 0) {
    out.push(`Sources that failed and are missing from this synthesis: ${failed.map((s) => `${s.name} (${s.error})`).join('; ')}.`);
  }
  const skipped = input.statuses.filter((s) => s.status === 'skipped');
  if (skipped.length > 0) out.push(`Sources not searched: ${skipped.map((s) => `${s.name} (${s.error})`).join('; ')}.`);
  if (input.rejected.length > 0) {
    const byReason = new Map<string, number>();
    for (const r of input.rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
    out.push(
      `${input.rejected.length} proposed claim(s) were dropped by the verbatim-quote check: ${[...byReason].map(([r, n]) => `${n} ${r}`).join(', ')}.`,
    );
  }
  if (input.droppedEvidence > 0) {
    out.push(`${input.droppedEvidence} evidence quote(s) were dropped because they were not found verbatim in another included paper.`);
  }
  if (input.included === 0) out.push('No retrieved paper passed screening, so nothing could be synthesised.');
  else if (input.claims === 0) out.push('No sentence in the included papers answered the question well enough to be stated as a claim.');
  if (input.gaps.length > 0) out.push(`Coverage gaps: ${input.gaps.length} part(s) of the question are not addressed (see Gaps).`);
  for (const w of input.warnings) if (!out.includes(w)) out.push(w);
  for (const e of input.extra) if (!out.includes(e)) out.push(e);
  return out;
}
