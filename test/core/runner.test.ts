import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/events.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import type { Report, RunRequest } from '../../src/model.js';
import { createSynthesizer, type Synthesize } from '../../src/pipeline/synthesize.js';
import { createCorpusSource } from '../../src/sources/corpus.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import { FIXTURES } from '../helpers/paths.js';

const realSynthesize = createSynthesizer({
  sources: [createCorpusSource([join(FIXTURES, 'corpus/exercise.jsonl')])],
  engine: createExtractiveEngine(),
});
const Q: RunRequest = { question: 'Does exercise reduce depressive symptoms in adults?' };
const origin = (userId: string) => ({ platform: 'test', userId });

/**
 * A synthesize that waits until released, so tests control when runs end. A release that comes before
 * the next run is waiting is kept for it: with one run at a time, the next run starts only when the
 * previous one has finished its real synthesis, however long that takes on a busy machine.
 */
function gatedSynthesize() {
  const gates: (() => void)[] = [];
  let early = 0;
  const synthesize: Synthesize = async (request, options) => {
    await new Promise<void>((resolve, reject) => {
      if (early > 0) {
        early--;
        resolve();
        return;
      }
      gates.push(resolve);
      options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
    });
    return realSynthesize(request, options);
  };
  const release = () => {
    const gate = gates.shift();
    if (gate) gate();
    else early++;
  };
  return { synthesize, release };
}

const opened: Stores[] = [];
async function stores(url = 'memory://') {
  const s = await createStores(url);
  opened.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('the job runner', () => {
  it('runs a job, streams its events, and keeps the report by id', async () => {
    const runner = createJobRunner({ synthesize: realSynthesize, stores: await stores() });
    const job = await runner.start(Q, origin('u1'));
    const events: ProgressEvent[] = [];
    runner.subscribe(job.id, (e) => void events.push(e));
    const report = await job.done;
    expect(report.id).toBe(job.id);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', reportId: job.id });
    expect(await runner.getReport(job.id)).toEqual(report);
    expect(await runner.get(job.id)).toMatchObject({ status: 'succeeded', reportId: job.id, origin: { userId: 'u1' } });
  });

  it('replays past events to a late subscriber, even after the job finished', async () => {
    const runner = createJobRunner({ synthesize: realSynthesize, stores: await stores() });
    const job = await runner.start(Q, origin('u1'));
    const early: ProgressEvent[] = [];
    runner.subscribe(job.id, (e) => void early.push(e));
    const midway: ProgressEvent[] = [];
    let subscribed = false;
    runner.subscribe(job.id, (e) => {
      if (e.type === 'stage-finished' && e.stage === 'search' && !subscribed) {
        subscribed = true;
        runner.subscribe(job.id, (x) => void midway.push(x));
      }
    });
    await job.done;
    const late: ProgressEvent[] = [];
    runner.subscribe(job.id, (e) => void late.push(e));
    expect(early.at(-1)?.type).toBe('run-finished');
    expect(midway.map((e) => e.type)).toEqual(early.map((e) => e.type));
    expect(late).toEqual(early);
  });

  it('limits how many runs one user can have going and queues beyond the concurrency limit', async () => {
    const gate = gatedSynthesize();
    const runner = createJobRunner({ synthesize: gate.synthesize, stores: await stores(), maxConcurrent: 1, maxPerUser: 2 });
    const a = await runner.start(Q, origin('alice'));
    const b = await runner.start(Q, origin('alice'));
    await expect(runner.start(Q, origin('alice'))).rejects.toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/already have 2/) });
    const queued: ProgressEvent[] = [];
    runner.subscribe(b.id, (e) => void queued.push(e));
    expect(queued[0]).toMatchObject({ type: 'run-queued', position: 1 });
    // Another user is not limited by alice's runs.
    const c = await runner.start(Q, origin('bob'));
    expect(runner.activeFor('alice')).toEqual([a.id, b.id]);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gate.release();
    }
    await Promise.all([a.done, b.done, c.done]);
    expect(runner.activeFor('alice')).toEqual([]);
    // Once alice's runs are done she can start again.
    const d = await runner.start(Q, origin('alice'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.release();
    await d.done;
  });

  it('rejects an invalid question without queueing anything', async () => {
    const runner = createJobRunner({ synthesize: realSynthesize, stores: await stores() });
    await expect(runner.start({ question: '  ' }, origin('u'))).rejects.toMatchObject({ code: 'usage' });
    expect(runner.activeFor('u')).toEqual([]);
  });

  it('cancels a running job', async () => {
    const gate = gatedSynthesize();
    const runner = createJobRunner({ synthesize: gate.synthesize, stores: await stores() });
    const job = await runner.start(Q, origin('u'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await runner.cancel(job.id)).toBe(true);
    await expect(job.done).rejects.toMatchObject({ code: 'cancelled' });
    expect(await runner.get(job.id)).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(await runner.cancel(job.id)).toBe(false);
  });

  it('records a failed job with its reason', async () => {
    const failing: Synthesize = async () => {
      throw Object.assign(new Error('boom'), {});
    };
    const runner = createJobRunner({ synthesize: failing, stores: await stores() });
    const job = await runner.start(Q, origin('u'));
    const events: ProgressEvent[] = [];
    runner.subscribe(job.id, (e) => void events.push(e));
    await expect(job.done).rejects.toMatchObject({ code: 'internal', message: 'boom' });
    expect(events.at(-1)).toMatchObject({ type: 'run-failed', message: 'boom' });
    expect(await runner.get(job.id)).toMatchObject({ status: 'failed', error: { message: 'boom' } });
  });

  it('keeps reports across a restart and marks the runs it interrupted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-'));
    const url = `sqlite://${join(dir, 'store.sqlite')}`;
    // First process: one run finishes, one is still running when the process "dies".
    const first = await stores(url);
    const gate = gatedSynthesize();
    const runnerA = createJobRunner({ synthesize: realSynthesize, stores: first });
    const done = await runnerA.start(Q, origin('u1'));
    const finished: Report = await done.done;
    // Both runners write the one active-job index; let the first finish its write (ids: []) so it
    // cannot land after the second's and erase the stuck run from it.
    await runnerA.close();
    const runnerB = createJobRunner({ synthesize: gate.synthesize, stores: first });
    const stuck = await runnerB.start(Q, origin('u2'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await first.close();

    // Second process on the same file.
    const second = await stores(url);
    const runner = createJobRunner({ synthesize: realSynthesize, stores: second });
    expect(await runner.getReport(finished.id)).toEqual(finished);
    const interrupted = await runner.recoverInterrupted();
    expect(interrupted.map((j) => j.id)).toEqual([stuck.id]);
    expect(await runner.get(stuck.id)).toMatchObject({ status: 'interrupted', request: { question: Q.question }, origin: { userId: 'u2' } });
    expect(await runner.recoverInterrupted()).toEqual([]);
  });
});
