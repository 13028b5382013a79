/**
 * A scripted `synthesize` for the Discord tests: emits the real progress event sequence with a delay
 * between stages, then resolves with a report built from a request (or rejects with a scripted error).
 * Lets the tests control timing and failures without loading a corpus.
 */
import { SynthError } from '../../src/errors.js';
import { STAGES } from '../../src/events.js';
import type { Claim, Report, RunRequest } from '../../src/model.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';

/** A report with `claims` claims and `papers` references; text is long and full of markdown. */
export function makeReport(id: string, question: string, opts: { claims?: number; papers?: number; long?: boolean } = {}): Report {
  const papers = opts.papers ?? 4;
  const n = opts.claims ?? 3;
  const filler = opts.long ? ' and the *effect* of `dose` on_outcome ~~was~~ ||not|| <@123456789012345678> @everyone significant'.repeat(30) : '';
  const references = Array.from({ length: papers }, (_, i) => ({
    id: `corpus:${1000 + i}`,
    title: `Paper ${i + 1}: Vitamin D and **fracture** risk in [older] adults${opts.long ? ' with a very long title'.repeat(20) : ''}`,
    authors: ['Ada Lovelace', 'Alan Turing'],
    year: 2000 + i,
    doi: `10.1000/test.${i}`,
  }));
  const verdicts = ['supported', 'contradicted', 'insufficient'] as const;
  const claims: Claim[] = Array.from({ length: n }, (_, i) => {
    const verdict = verdicts[i % 3]!;
    return {
      id: `c${i + 1}`,
      text: `Claim ${i + 1}: vitamin D supplementation lowered the hip fracture rate by ${10 + i}%${filler}.`,
      paperId: references[i % papers]!.id,
      quote: `Vitamin D supplementation lowered the hip fracture rate by ${10 + i}%${filler}.`,
      verification: {
        verdict,
        confidence: verdict === 'insufficient' ? 0.3 : 0.8,
        evidence: [
          { paperId: references[(i + 1) % papers]!.id, quote: `Supplementation reduced fractures in trial ${i}${filler}.`, stance: 'supports' as const },
          { paperId: references[(i + 2) % papers]!.id, quote: `No reduction in fractures was seen in cohort ${i}${filler}.`, stance: 'contradicts' as const },
        ],
      },
    };
  });
  return {
    schemaVersion: 1,
    id,
    question,
    title: `Evidence synthesis: ${question}${opts.long ? ' (long)'.repeat(80) : ''}`,
    abstract: `The evidence is mixed [1, 2] and *uncertain* [3]${filler}.`,
    createdAt: new Date().toISOString(),
    methodology: { engine: 'extractive', sources: [{ name: 'corpus', status: 'ok', found: 40 }, { name: 'openalex', status: 'skipped', found: 0, error: 'offline' }], identified: 40, deduplicated: 38, screened: 12, included: papers },
    claims,
    reviews: [
      { reviewer: 'coverage', score: 8, rationale: 'Covers the question.' },
      { reviewer: 'evidence', score: 5.5, rationale: 'Mixed evidence.' },
      { reviewer: 'sources', score: 6, rationale: 'Several sources.' },
    ],
    qualityScore: 6.5,
    gaps: [],
    limitations: ['Abstracts only.'],
    references,
    timings: { totalMs: 1234, stages: { plan: 1 } },
  };
}

/** Options of {@link scriptedSynthesize}. */
export interface ScriptOptions {
  /** Delay between events, in ms (default 20). */
  stepMs?: number;
  /** Fail with this error instead of reporting (a function to decide per request). */
  fail?: SynthError | ((request: RunRequest, call: number) => SynthError | undefined);
  report?: (id: string, request: RunRequest) => Report;
}

/** A scripted synthesizer and the requests it received. */
export function scriptedSynthesize(options: ScriptOptions = {}): Synthesize & { calls: RunRequest[] } {
  const calls: RunRequest[] = [];
  const step = options.stepMs ?? 20;
  const fn = (async (request, opts = {}) => {
    calls.push(request);
    const runId = opts.runId ?? 'run';
    const startedAt = Date.now();
    const emit = (event: Record<string, unknown>) => {
      const listeners = opts.onEvent === undefined ? [] : Array.isArray(opts.onEvent) ? opts.onEvent : [opts.onEvent];
      for (const l of listeners) void l({ ...event, runId, elapsedMs: Date.now() - startedAt } as never);
    };
    const wait = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, step);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new SynthError('cancelled', 'The run was cancelled.'));
        });
      });
    emit({ type: 'run-started', question: request.question });
    const failure = typeof options.fail === 'function' ? options.fail(request, calls.length) : options.fail;
    for (const stage of STAGES) {
      emit({ type: 'stage-started', stage });
      if (stage === 'search') {
        emit({ type: 'source-started', source: 'corpus' });
        emit({ type: 'source-finished', source: 'corpus', status: 'ok', found: 40, ms: 3 });
      }
      if (stage === 'verify') for (let i = 1; i <= 3; i++) emit({ type: 'stage-progress', stage, done: i, total: 3, detail: `claim ${i} of 3` });
      await wait();
      if (failure && stage === 'search') throw failure;
      emit({ type: 'stage-finished', stage, ms: step, counts: { identified: 40, unique: 38, duplicates: 2, screened: 12, excluded: 26, claims: 3, supported: 1, contradicted: 1, qualityScore: 6.5, reviewers: 3, references: 4 } });
    }
    const report = (options.report ?? ((id, r) => makeReport(id, r.question)))(runId, request);
    emit({ type: 'run-finished', reportId: report.id, claims: report.claims.length, qualityScore: report.qualityScore });
    return report;
  }) as Synthesize & { calls: RunRequest[] };
  fn.calls = calls;
  return fn;
}
