import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { STAGES, type ProgressEvent } from '../../src/events.js';
import { ReportSchema, type Paper } from '../../src/model.js';
import { quoteIsVerbatim } from '../../src/pipeline/invariants.js';
import { createSynthesizer } from '../../src/pipeline/synthesize.js';
import { createCorpusSource, readCorpusFile } from '../../src/sources/corpus.js';
import { isCompleteSentence } from '../../src/text/sentences.js';
import { FIXTURES } from '../helpers/paths.js';
import { fakeSource, makePaper, scriptedEngine } from '../helpers/fakes.js';

const exercise = (await readCorpusFile(join(FIXTURES, 'corpus/exercise.jsonl'))).papers;
const QUESTION = 'Does exercise reduce depressive symptoms in adults?';

function collect() {
  const events: ProgressEvent[] = [];
  return { events, onEvent: (e: ProgressEvent) => void events.push(e) };
}

describe('the orchestrator', () => {
  it('runs every stage in order, emits counts and timings, and returns a report that meets the contract', async () => {
    const engine = scriptedEngine();
    const synthesize = createSynthesizer({ sources: [fakeSource('corpus', exercise)], engine });
    const { events, onEvent } = collect();
    const report = await synthesize({ question: QUESTION }, { onEvent, runId: 'run-1' });

    expect(ReportSchema.parse(report)).toBeTruthy();
    expect(report.id).toBe('run-1');
    expect(events.filter((e) => e.type === 'stage-finished').map((e) => e.type === 'stage-finished' && e.stage)).toEqual([...STAGES]);
    expect(events[0]).toMatchObject({ type: 'run-started', runId: 'run-1', question: QUESTION });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', reportId: 'run-1', claims: report.claims.length });
    expect(Object.keys(report.timings.stages)).toEqual([...STAGES]);
    expect(engine.calls.slice(0, 3)).toEqual(['plan', 'extract', 'verify']);

    // The invariants, checked on the output rather than trusted.
    const byId = new Map(exercise.map((p) => [p.id, p]));
    const refIds = new Set(report.references.map((r) => r.id));
    expect(report.claims.length).toBeGreaterThan(0);
    for (const claim of report.claims) {
      expect(isCompleteSentence(claim.text)).toBe(true);
      expect(quoteIsVerbatim(claim.quote, byId.get(claim.paperId)!)).toBe(true);
      expect(refIds.has(claim.paperId)).toBe(true);
      for (const e of claim.verification.evidence) {
        expect(refIds.has(e.paperId)).toBe(true);
        expect(e.paperId).not.toBe(claim.paperId);
      }
      const { verdict, confidence } = claim.verification;
      expect(verdict === 'insufficient' ? confidence < 0.5 : confidence >= 0.5).toBe(true);
    }
    // Screening by the question's exposure: the resistance-training and yoga papers never name
    // exercise, so they are off topic with the photosynthesis paper.
    expect(report.methodology).toMatchObject({ engine: 'scripted', identified: 6, deduplicated: 6, screened: 3, included: 3, excluded: { 'off-topic': 3 } });
    const onTopic = exercise.filter((p) => ['ex1', 'ex2', 'ex3'].includes(p.ids.corpus ?? '')).map((p) => p.id);
    expect(report.references.map((r) => r.id).sort()).toEqual(onTopic.sort());
    expect(events.filter((e) => e.type === 'stage-progress' && e.stage === 'verify').at(-1)).toMatchObject({
      done: report.claims.length,
      total: report.claims.length,
    });
  });

  it('searches all sources in parallel and merges what they both found', async () => {
    const shared = makePaper({ id: 'x:1', title: 'Exercise and depression in adults: a trial', abstract: 'Exercise reduced depressive symptoms in adults.', ids: { doi: '10.1/shared' } });
    const a = fakeSource('alpha', [shared, ...exercise.slice(0, 2)], { delayMs: 50 });
    const b = fakeSource('beta', [{ ...shared, id: 'y:1', doi: 'https://doi.org/10.1/SHARED', ids: {} }], { delayMs: 50 });
    const { events, onEvent } = collect();
    const report = await createSynthesizer({ sources: [a, b], engine: scriptedEngine() })({ question: QUESTION }, { onEvent });
    const order = events.filter((e) => e.type === 'source-started' || e.type === 'source-finished').map((e) => e.type);
    expect(order).toEqual(['source-started', 'source-started', 'source-finished', 'source-finished']);
    expect(report.methodology.identified).toBe(4);
    expect(report.methodology.deduplicated).toBe(3);
    const beta = report.methodology.sources.find((s) => s.name === 'beta')!;
    expect(beta).toMatchObject({ status: 'ok', found: 1, identified: 1, deduplicated: 1 });
  });

  it('carries on when a source fails or hangs, and says so', async () => {
    const { events, onEvent } = collect();
    const report = await createSynthesizer({
      sources: [fakeSource('corpus', exercise), fakeSource('broken', [], { fail: 'HTTP 500 after 3 attempts' }), fakeSource('slow', [], { hang: true })],
      engine: scriptedEngine(),
      sourceTimeoutMs: 100,
    })({ question: QUESTION }, { onEvent });
    expect(report.methodology.sources.map((s) => [s.name, s.status, s.error])).toEqual([
      ['corpus', 'ok', undefined],
      ['broken', 'failed', 'HTTP 500 after 3 attempts'],
      ['slow', 'failed', 'timed out after 0.1 s'],
    ]);
    expect(report.limitations.join(' ')).toMatch(/missing from this synthesis: broken \(HTTP 500 after 3 attempts\); slow \(timed out/);
    expect(events.some((e) => e.type === 'source-finished' && e.source === 'slow' && e.status === 'failed')).toBe(true);
  });

  it('fails with one reason naming every source when all fail', async () => {
    const { events, onEvent } = collect();
    const run = createSynthesizer({
      sources: [fakeSource('openalex', [], { fail: 'HTTP 503' }), fakeSource('arxiv', [], { fail: 'invalid XML' })],
      engine: scriptedEngine(),
    })({ question: QUESTION }, { onEvent });
    await expect(run).rejects.toMatchObject({ code: 'all_sources_failed', message: expect.stringMatching(/openalex .*HTTP 503.*arxiv .*invalid XML/) });
    expect(events.at(-1)).toMatchObject({ type: 'run-failed', code: 'all_sources_failed' });
  });

  it('stops at once when cancelled, whatever stage it is in', async () => {
    const controller = new AbortController();
    const engine = scriptedEngine({
      verify: async (_input, ctx) => {
        controller.abort();
        ctx.signal.throwIfAborted();
        throw new Error('not reached');
      },
    });
    const { events, onEvent } = collect();
    const run = createSynthesizer({ sources: [fakeSource('corpus', exercise)], engine })({ question: QUESTION }, { onEvent, signal: controller.signal });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(events.at(-1)).toMatchObject({ type: 'run-failed', code: 'cancelled' });
    expect(engine.calls).not.toContain('review');
  });

  it('keeps going when a progress listener throws', async () => {
    const report = await createSynthesizer({ sources: [fakeSource('corpus', exercise)], engine: scriptedEngine() })(
      { question: QUESTION },
      {
        onEvent: [
          () => {
            throw new Error('listener bug');
          },
          async () => Promise.reject(new Error('async listener bug')),
        ],
      },
    );
    expect(report.claims.length).toBeGreaterThan(0);
  });

  it('drops and counts what a lying engine makes up, and fixes its verdicts', async () => {
    const ex1 = exercise.find((p) => p.ids.corpus === 'ex1')!;
    const engine = scriptedEngine({
      extract: async () => [
        { text: 'Exercise cures depression in everyone.', paperId: ex1.id, quote: 'Exercise cures depression in everyone.' },
        { text: 'Aerobic exercise reduces depressive symptoms.', paperId: 'paper-that-does-not-exist', quote: 'x' },
        { text: 'Aerobic exercise reduces depressive symptoms in adults with major depression.', paperId: ex1.id, quote: 'Aerobic exercise reduces depressive symptoms in adults with major depression.' },
      ],
      verify: async () => ({ verdict: 'supported', confidence: 0.2, evidence: [] }),
    });
    const report = await createSynthesizer({ sources: [fakeSource('corpus', exercise)], engine })({ question: QUESTION });
    expect(report.claims).toHaveLength(1);
    expect(report.claims[0]!.verification.verdict).toBe('insufficient');
    expect(report.limitations.join(' ')).toMatch(/2 proposed claim\(s\) were dropped by the verbatim-quote check: 1 quote not found in the cited paper, 1 unknown paper/);
  });

  it('makes a report that says so when nothing relevant is found', async () => {
    const offTopic = exercise.filter((p) => p.ids.corpus === 'off1');
    for (const [papers, records] of [
      [[] as Paper[], 'The search returned no records.'],
      [offTopic, 'Of 1 records found, none passed screening as relevant to the question.'],
    ] as const) {
      const report = await createSynthesizer({ sources: [fakeSource('corpus', papers)], engine: scriptedEngine() })({
        question: 'Does scaling Code Llama from 7B to 70B improve pass@1 on BigCodeBench?',
      });
      expect(report.claims).toEqual([]);
      // Honest and empty: coverage 3, evidence 3, sources 0 (no paper read) → 2, under the 3.5 cap.
      expect(report.qualityScore).toBe(2);
      expect(report.gaps).toContain('No retrieved source addresses "BigCodeBench".');
      // The abstract leads with the answer, then says why there is nothing to go on.
      expect(report.answer?.verdict).toBe('insufficient');
      expect(report.abstract.startsWith(report.answer!.text)).toBe(true);
      expect(report.abstract).toMatch(/^Insufficient evidence: .*so this synthesis cannot say whether scaling Code Llama/);
      expect(report.abstract).toContain(records);
      expect(ReportSchema.safeParse(report).success).toBe(true);
    }
  });

  it('rejects a bad question before searching', async () => {
    const source = fakeSource('corpus', exercise);
    const run = createSynthesizer({ sources: [source], engine: scriptedEngine() })({ question: '   ' });
    await expect(run).rejects.toBeInstanceOf(SynthError);
    await expect(run).rejects.toMatchObject({ code: 'usage' });
    expect(source.calls).toHaveLength(0);
  });

  it('stores the cleaned question, with no live mention left in it', async () => {
    const report = await createSynthesizer({ sources: [createCorpusSource([join(FIXTURES, 'corpus/exercise.jsonl')])], engine: scriptedEngine() })({
      question: '<!channel> Does exercise\u0000 reduce depressive symptoms? <@U123>',
    });
    expect(report.question).toBe('@channel Does exercise reduce depressive symptoms? @U123');
  });
});
