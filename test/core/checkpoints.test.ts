/**
 * Stage checkpoints (issue 13): a run stopped after any stage is resumed from its last finished stage
 * (the stages before it are not run again: no source is searched twice) and ends with the report the
 * uninterrupted run gives.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import { STAGES, type ProgressEvent, type Stage } from '../../src/events.js';
import { checkpointedStages, clearCheckpoints, storeCheckpoints } from '../../src/jobs/checkpoints.js';
import type { Report } from '../../src/model.js';
import { createSynthesizer } from '../../src/pipeline/synthesize.js';
import { readCorpusFile } from '../../src/sources/corpus.js';
import { createStores } from '../../src/store/store.js';
import { fakeSource } from '../helpers/fakes.js';
import { FIXTURES } from '../helpers/paths.js';

const exercise = (await readCorpusFile(join(FIXTURES, 'corpus/exercise.jsonl'))).papers;
const QUESTION = 'Does exercise reduce depressive symptoms in adults?';

/** What a reader compares: the answer and the claims, not the ids and timings. */
const gist = (r: Report) => ({
  answer: r.answer,
  claims: r.claims.map((c) => ({ text: c.text, quote: c.quote, verdict: c.verification.verdict, confidence: c.verification.confidence })),
  references: r.references.map((x) => x.id),
  included: r.methodology.included,
  limitations: r.limitations,
});

describe('a run resumed from its checkpoints', () => {
  const reference = (async () => {
    const source = fakeSource('corpus', exercise);
    return createSynthesizer({ sources: [source], engine: createExtractiveEngine() })({ question: QUESTION }, { runId: 'plain' });
  })();

  it.each(['plan', 'search', 'screen', 'extract', 'verify', 'review'] as Stage[])('stopped after %s, skips the stages done and gives the same report', async (stopAfter) => {
    const stores = await createStores('memory://');
    const runId = `run-${stopAfter}`;
    const source = fakeSource('corpus', exercise);
    const synthesize = createSynthesizer({ sources: [source], engine: createExtractiveEngine() });
    const controller = new AbortController();
    const first = synthesize(
      { question: QUESTION },
      {
        runId,
        signal: controller.signal,
        checkpoint: storeCheckpoints(stores.state, runId),
        onEvent: (e) => {
          if (e.type === 'stage-finished' && e.stage === stopAfter) controller.abort(new Error('process stopped'));
        },
      },
    );
    await expect(first).rejects.toBeTruthy();
    const done = STAGES.slice(0, STAGES.indexOf(stopAfter) + 1);
    expect(await checkpointedStages(stores.state, runId)).toEqual(done);
    const searchedBefore = source.calls.length;

    const events: ProgressEvent[] = [];
    const resumed = await synthesize({ question: QUESTION }, { runId, checkpoint: storeCheckpoints(stores.state, runId), onEvent: (e) => void events.push(e) });
    const finished = events.filter((e): e is Extract<ProgressEvent, { type: 'stage-finished' }> => e.type === 'stage-finished');
    expect(finished.map((e) => e.stage)).toEqual([...STAGES]);
    expect(finished.filter((e) => e.resumed).map((e) => e.stage)).toEqual(done);
    // The search is not run again once it was checkpointed.
    expect(source.calls.length).toBe(done.includes('search') ? searchedBefore : searchedBefore + 1);
    expect(gist(resumed)).toEqual(gist(await reference));
    expect(resumed.id).toBe(runId);

    await clearCheckpoints(stores.state, runId);
    expect(await checkpointedStages(stores.state, runId)).toEqual([]);
    await stores.close();
  });

  it('runs a stage again when its checkpoint cannot be read', async () => {
    const source = fakeSource('corpus', exercise);
    const synthesize = createSynthesizer({ sources: [source], engine: createExtractiveEngine() });
    const report = await synthesize(
      { question: QUESTION },
      {
        runId: 'broken',
        checkpoint: {
          load: async () => {
            throw new Error('store down');
          },
          save: async () => {
            throw new Error('store down');
          },
        },
      },
    );
    expect(source.calls).toHaveLength(1);
    expect(gist(report)).toEqual(gist(await reference));
  });
});
