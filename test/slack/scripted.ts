/**
 * Scripted runs for the paths a real corpus cannot reach on demand: a report of any size (long texts,
 * many claims and evidence items, hostile strings), a run that emits events over time, a run that fails.
 */
import { SynthError, type ErrorCode } from '../../src/errors.js';
import type { ProgressEventInput } from '../../src/events.js';
import { STAGES } from '../../src/events.js';
import type { Claim, Report } from '../../src/model.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';

/** Text that tries every trick: mentions, entities, markdown, a link, and length. */
export const HOSTILE = 'Risk fell <!channel> & <!here> for <@U123> (*bold* _it_ ~s~ `code` <https://evil.example|click>) > 2 < 3';

const words = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => `${seed}${i % 7 === 0 ? 'supercalifragilistic' : 'word'}${i}`).join(' ');

/** Options of {@link makeReport}. */
export interface ReportShape {
  id?: string;
  claims?: number;
  evidencePerClaim?: number;
  /** Words per claim, quote and evidence quote. */
  textWords?: number;
  hostile?: boolean;
  question?: string;
}

/** A schema-valid report of the given shape. */
export function makeReport(shape: ReportShape = {}): Report {
  const id = shape.id ?? 'report-0001';
  const n = shape.claims ?? 3;
  const textWords = shape.textWords ?? 12;
  const extra = shape.hostile ? ` ${HOSTILE}` : '';
  const references = Array.from({ length: Math.max(2, n + 2) }, (_, i) => ({
    id: `p${i + 1}`,
    title: `Paper ${i + 1}: ${words(shape.hostile ? 60 : 8, 't')}${extra}`,
    authors: [`Author${i} <@U777> Surname`, 'Second Author'],
    year: 2000 + i,
    ...(i % 2 === 0 ? { doi: `10.1000/p${i + 1}` } : { url: `https://example.org/p${i + 1}?a=1&b=<x>|y` }),
  }));
  const claims: Claim[] = Array.from({ length: n }, (_, i) => ({
    id: `c${i + 1}`,
    text: `Claim ${i + 1} says ${words(textWords, 'c')}${extra}.`,
    paperId: `p${(i % references.length) + 1}`,
    quote: `Quote ${i + 1} ${words(textWords, 'q')}${extra}.`,
    verification: {
      verdict: i % 3 === 0 ? 'supported' : i % 3 === 1 ? 'contradicted' : 'insufficient',
      confidence: i % 3 === 2 ? 0.3 : 0.8,
      evidence: Array.from({ length: shape.evidencePerClaim ?? 2 }, (_, j) => ({
        paperId: `p${((i + j + 1) % references.length) + 1}`,
        quote: `Evidence ${j + 1} for claim ${i + 1} ${words(textWords, 'e')}${extra}.`,
        stance: j % 2 === 0 ? ('supports' as const) : ('contradicts' as const),
      })),
    },
  }));
  return {
    schemaVersion: 1,
    id,
    question: shape.question ?? `Does it work?${extra}`,
    title: `Evidence synthesis: ${words(shape.hostile ? 40 : 5, 'h')}${extra}`,
    abstract: `The evidence leans yes [1, 2]. ${words(shape.hostile ? 600 : 20, 'a')}${extra} [3].`,
    createdAt: new Date(0).toISOString(),
    methodology: {
      engine: 'extractive',
      sources: [
        { name: 'corpus', status: 'ok', found: 12 },
        { name: 'openalex', status: 'failed', found: 0, error: `HTTP 500${extra}` },
      ],
      identified: 12,
      deduplicated: 10,
      screened: 8,
      included: 6,
    },
    claims,
    reviews: [
      { reviewer: 'coverage', score: 7, rationale: 'ok' },
      { reviewer: `statistician${extra}`, score: 6, rationale: 'ok' },
    ],
    qualityScore: 6.5,
    gaps: [],
    limitations: ['Abstracts only.'],
    references,
    timings: { totalMs: 1234, stages: { search: 100 } },
  };
}

/** Options of {@link scriptedSynthesize}. */
export interface Script {
  /** The report to return (its id is replaced by the run id), or an error code to fail with. */
  report?: (runId: string) => Report;
  fail?: { code: ErrorCode; message: string };
  /** Stage events emitted, one every `stepMs`. */
  stepMs?: number;
  /** Progress events during `verify` (claim k of n). */
  verifySteps?: number;
}

/** A synthesize function that plays a script, emitting real progress events on the way. */
export function scriptedSynthesize(script: Script): Synthesize & { calls: number } {
  const fn = (async (request, options = {}) => {
    fn.calls++;
    const runId = options.runId ?? 'run';
    const started = Date.now();
    const listeners = options.onEvent === undefined ? [] : Array.isArray(options.onEvent) ? options.onEvent : [options.onEvent];
    const emit = (event: ProgressEventInput) => {
      for (const l of listeners) void l({ ...event, runId, elapsedMs: Date.now() - started } as never);
    };
    const wait = () =>
      new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          reject(new SynthError('cancelled', 'The run was cancelled.'));
        };
        const timer = setTimeout(() => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve();
        }, script.stepMs ?? 5);
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
    emit({ type: 'run-started', question: request.question });
    for (const stage of STAGES) {
      emit({ type: 'stage-started', stage });
      if (stage === 'search') emit({ type: 'source-started', source: 'corpus' });
      await wait();
      if (stage === 'verify') {
        const total = script.verifySteps ?? 0;
        for (let k = 1; k <= total; k++) {
          emit({ type: 'stage-progress', stage, done: k, total, detail: `claim ${k} of ${total}` });
          await wait();
        }
      }
      if (stage === 'search') emit({ type: 'source-finished', source: 'corpus', status: 'ok', found: 12, ms: 3 });
      if (script.fail && stage === 'search') throw new SynthError(script.fail.code, script.fail.message);
      emit({ type: 'stage-finished', stage, ms: script.stepMs ?? 5, counts: stage === 'verify' ? { claims: 3, supported: 1, contradicted: 1 } : {} });
    }
    const report = { ...(script.report ?? (() => makeReport()))(runId), id: runId };
    emit({ type: 'run-finished', reportId: runId, claims: report.claims.length, qualityScore: report.qualityScore });
    return report;
  }) as Synthesize & { calls: number };
  fn.calls = 0;
  return fn;
}
