/**
 * Follow-up questions in a report's thread, answered first from the report's own papers.
 *
 * `followUp(report, question, options)` reads the follow-up in the context of the report's question
 * ({@link contextualise}), then runs the same synthesize pipeline (plan, screen, extract, verify with
 * the verbatim-quote checks, review, compose, the invariants of `invariants.ts`) over an in-memory
 * source holding only the report's papers (their abstracts travel in `references[].abstract`). When
 * those papers do not answer it (no claim, or an `insufficient` answer) and the caller passed a
 * `widen` synthesize (the full pipeline over the configured sources), that runs with the same
 * question. The new report says what it is in `followUp` ({ of, question, scope }); one that nothing
 * answered says so plainly and is not scored (qualityScore 0, no reviews).
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engines/engine.js';
import { SynthError } from '../errors.js';
import type { ProgressEvent, ProgressListener } from '../events.js';
import type { Logger } from '../logger.js';
import type { FollowUpScope, Paper, Report } from '../model.js';
import { normalizeDoi } from './merge.js';
import { createMemorySource } from '../sources/memory.js';
import { sanitizeQuestion } from '../text/sanitize.js';
import { contextualise, sanitizeFollowUp } from './followup-text.js';
import { createSynthesizer, type Synthesize } from './synthesize.js';

export { contextualise, isChitChat, parseThreadCommand, sanitizeFollowUp, type ThreadCommand } from './followup-text.js';

/** Name of the source that holds a report's papers, as the follow-up's methodology shows it. */
export const THREAD_SOURCE = 'thread';

/** Options of {@link followUp}. */
export interface FollowUpOptions {
  /** The judgement engine (normally the one the report was made with). */
  engine: Engine;
  /**
   * The full pipeline over the configured sources, run with the contextualised question when the
   * report's papers do not answer it. Without it, a follow-up is answered from the report's papers only.
   */
  widen?: Synthesize;
  /** Papers included from the thread (default: all of them) and, when widening, from the search (the pipeline's default). */
  maxPapers?: number;
  maxClaims?: number;
  onEvent?: ProgressListener | ProgressListener[];
  /** Called once before widening, with the reason (e.g. for the CLI to start a fresh progress display). */
  onWiden?: (reason: string) => void;
  signal?: AbortSignal;
  /** Id of the follow-up report (the job runner assigns it); both runs use it. */
  runId?: string;
  log?: Logger;
  now?: () => number;
  newId?: () => string;
  secrets?: readonly string[];
}

/** Where the answer came from: the report's papers, the configured sources, or neither. */
export type FollowUpOutcome = FollowUpScope | 'nothing';

/** What {@link followUp} returns: the follow-up report, where its answer came from, and the question it was read as. */
export interface FollowUpResult {
  report: Report;
  scope: FollowUpOutcome;
  /** The follow-up read in the context of the report's question (the report's `question`). */
  question: string;
}

/**
 * The papers a report carries: every reference with an abstract, as a paper (same id, so the follow-up
 * cites them as the report did). A report saved before references carried abstracts has none.
 */
export function threadPapers(report: Report): Paper[] {
  return report.references
    .filter((r) => typeof r.abstract === 'string' && r.abstract.trim().length > 0)
    .map((r) => {
      const doi = normalizeDoi(r.doi);
      const paper: Paper = {
        id: r.id,
        title: r.title === '(untitled)' ? '' : r.title,
        abstract: r.abstract!,
        authors: r.authors,
        ids: doi ? { doi } : {},
        sources: [THREAD_SOURCE],
      };
      if (r.year !== undefined) paper.year = r.year;
      if (r.venue) paper.venue = r.venue;
      if (r.doi) paper.doi = r.doi;
      if (r.url) paper.url = r.url;
      return paper;
    });
}

/** True when a report answers its question: it has claims and its answer is not `insufficient`. */
export function answersQuestion(report: Report): boolean {
  return report.claims.length > 0 && report.answer?.verdict !== 'insufficient';
}

/** Answers a follow-up to `report`; see the module comment. Throws a `UsageError` for an unusable follow-up. */
export async function followUp(report: Report, asked: string, options: FollowUpOptions): Promise<FollowUpResult> {
  const as = sanitizeFollowUp(asked);
  const question = sanitizeQuestion(contextualise(report.question, as));
  const papers = threadPapers(report);
  const runId = options.runId ?? (options.newId ?? randomUUID)();
  const listeners = options.onEvent === undefined ? [] : Array.isArray(options.onEvent) ? options.onEvent : [options.onEvent];
  const deliver = (event: ProgressEvent) => {
    for (const listener of listeners) {
      try {
        void Promise.resolve(listener(event)).catch(() => undefined);
      } catch {
        // A listener never breaks the run (as in the pipeline's emitter).
      }
    }
  };
  const base = { of: report.id, question: as };
  const request = (maxPapers: number | undefined) => ({
    question,
    ...(maxPapers !== undefined ? { maxPapers } : {}),
    ...(options.maxClaims !== undefined ? { maxClaims: options.maxClaims } : {}),
  });
  const run = { runId, ...(options.signal ? { signal: options.signal } : {}) };

  let thread: Report | undefined;
  let held: ProgressEvent | undefined;
  let offsetMs = 0;
  // A report saved before references carried abstracts has papers but none of their text.
  const withoutText = papers.length === 0 && report.references.length > 0;
  if (!withoutText) {
    const synthesize = createSynthesizer({
      sources: [createMemorySource(THREAD_SOURCE, papers)],
      engine: options.engine,
      ...(options.log ? { log: options.log } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
    });
    // The thread run's "finished" waits until it is known whether this run is the answer.
    const onEvent = (event: ProgressEvent) => {
      offsetMs = event.elapsedMs;
      if (event.type === 'run-finished') held = event;
      else deliver(event);
    };
    thread = await synthesize(request(options.maxPapers ?? papers.length), { ...run, onEvent });
    if (answersQuestion(thread)) {
      if (held) deliver(held);
      return { report: tagged(thread, { ...base, scope: 'thread' }, threadNote(report, papers.length, as, question)), scope: 'thread', question };
    }
  }

  if (options.widen) {
    const reason = withoutText
        ? `Report ${report.id} was saved without its papers' abstracts, so the configured sources are searched.`
        : `The papers of this thread do not answer "${question}"; searching the configured sources.`;
    options.onWiden?.(reason);
    if (thread) deliver({ type: 'warning', code: 'followup_widened', message: reason, runId, elapsedMs: offsetMs });
    const shift = offsetMs;
    const widened = await options.widen(request(options.maxPapers), { ...run, onEvent: (event) => deliver({ ...event, elapsedMs: event.elapsedMs + shift }) });
    const note =
      `Follow-up to report ${report.id}, asked as "${as}" and read as "${question}": ` +
      (withoutText
        ? "that report was saved without its papers' abstracts, so the configured sources were searched."
        : `the ${papers.length} paper(s) of that report do not answer it, so the configured sources were searched.`);
    const scope: FollowUpScope = 'widened';
    if (answersQuestion(widened)) return { report: tagged(widened, { ...base, scope }, note), scope, question };
    return { report: nothingFound(tagged(widened, { ...base, scope }, note), question, true), scope: 'nothing', question };
  }

  if (!thread) {
    throw new SynthError(
      'validation',
      `Report ${report.id} was saved without its papers' abstracts (reports made before they carried them), so a follow-up cannot be answered from its papers; configure sources to search instead.`,
    );
  }
  const nothing = nothingFound(tagged(thread, { ...base, scope: 'thread' }, threadNote(report, papers.length, as, question)), question, false);
  if (held?.type === 'run-finished') deliver({ ...held, qualityScore: nothing.qualityScore });
  return { report: nothing, scope: 'nothing', question };
}

function threadNote(report: Report, papers: number, as: string, question: string): string {
  const missing = report.references.length - papers;
  return (
    `Follow-up to report ${report.id}, asked as "${as}" and read as "${question}": answered from the ${papers} paper(s) of that report only, with no new search.` +
    (missing > 0 ? ` ${missing} of its references carry no abstract and could not be read.` : '')
  );
}

function tagged(report: Report, followUp: NonNullable<Report['followUp']>, note: string): Report {
  return { ...report, followUp, limitations: [note, ...report.limitations] };
}

/**
 * The report of a follow-up nothing answered: it says so first, in its abstract, answer and gaps, and
 * carries no score (`qualityScore` 0, no reviews). Its claims, if any, stay: they are checked and
 * verified, they just do not decide the question.
 */
function nothingFound(report: Report, question: string, searched: boolean): Report {
  const said = `The papers of this thread do not answer "${question}"; nothing further was found${searched ? ' in the configured sources' : ' (no other source is configured to search)'}.`;
  return {
    ...report,
    abstract: report.claims.length > 0 ? `${said} ${report.abstract}` : said,
    answer: { verdict: 'insufficient', confidence: 'low', basis: [], text: said },
    reviews: [],
    qualityScore: 0,
    gaps: [`Nothing ${searched ? 'in the papers of this thread or the configured sources' : 'in the papers of this thread'} answers the follow-up.`, ...report.gaps],
    limitations: [
      ...report.limitations,
      'Not scored: nothing answered this follow-up, so it carries no reviews and its quality score is 0.',
    ],
  };
}
