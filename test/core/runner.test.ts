import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/events.js';
import { readOrigin } from '../../src/jobs/job.js';
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
const origin = (asker: string) => ({ platform: 'test', asker });
type Runner = ReturnType<typeof createJobRunner>;
/** Admits and starts a run for `asker`, its events collected from the first. */
async function startFor(runner: Runner, asker: string, request: RunRequest = Q) {
  const events: ProgressEvent[] = [];
  const run = await runner.start(runner.admit(request, origin(asker)), origin(asker), (e) => void events.push(e));
  return { ...run, events };
}

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
  it('runs a job, gives its events to the caller that started it from the first, and keeps the report by id', async () => {
    const runner = createJobRunner({ synthesize: realSynthesize, stores: await stores() });
    const job = await startFor(runner, 'u1');
    const report = await job.done;
    expect(report.id).toBe(job.id);
    expect(job.events[0]?.type).toBe('run-started');
    expect(job.events.at(-1)).toMatchObject({ type: 'run-finished', reportId: job.id });
    expect(await runner.getReport(job.id)).toEqual(report);
    expect(await runner.get(job.id)).toMatchObject({ status: 'succeeded', reportId: job.id, origin: { platform: 'test', asker: 'u1' } });
  });

  it('admits synchronously: the per-user limit counts admissions not yet started, and a released one gives its place back', async () => {
    const gate = gatedSynthesize();
    const runner = createJobRunner({ synthesize: gate.synthesize, stores: await stores(), maxPerUser: 2 });
    const first = runner.admit(Q, origin('alice'));
    const second = runner.admit(Q, origin('alice'));
    // Two requests that arrive together cannot both take the last place.
    expect(() => runner.admit(Q, origin('alice'))).toThrow(expect.objectContaining({ code: 'rate_limited', message: 'You already have 2 synthesis runs in progress. Wait for one to finish, then ask again.' }));
    // The same person on another platform is somebody else.
    runner.admit(Q, { platform: 'other', asker: 'alice' }).release();
    second.release();
    second.release();
    const third = runner.admit(Q, origin('alice'));
    expect(first.request.question).toBe(Q.question);
    const run = await runner.start(first, origin('alice'));
    await expect(runner.start(first, origin('alice'))).rejects.toMatchObject({ code: 'internal' });
    expect(() => runner.admit(Q, origin('alice'))).toThrow(expect.objectContaining({ code: 'rate_limited' }));
    third.release();
    expect(runner.activeFor('alice')).toEqual([run.id]);
    await runner.cancel(run.id);
    await expect(run.done).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('checks the request at admission: the question is cleaned once, and a reversed year range is refused', () => {
    const runner = createJobRunner({ synthesize: realSynthesize, stores: { reports: undefined, jobs: undefined } as never });
    expect(runner.admit({ question: '  Does <!channel> exercise help?  ' }, origin('u')).request.question).toBe('Does @channel exercise help?');
    expect(() => runner.admit({ question: 'Does exercise help?', yearFrom: 2020, yearTo: 2010 }, origin('u'))).toThrow(expect.objectContaining({ code: 'usage', message: expect.stringMatching(/starts \(2020\) after it ends \(2010\)/) }));
    expect(() => runner.admit({ question: '  ' }, origin('u'))).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(runner.activeFor('u')).toEqual([]);
  });

  it('limits how many runs one user can have going and queues beyond the concurrency limit', async () => {
    const gate = gatedSynthesize();
    const runner = createJobRunner({ synthesize: gate.synthesize, stores: await stores(), maxConcurrent: 1, maxPerUser: 2 });
    const a = await startFor(runner, 'alice');
    const b = await startFor(runner, 'alice');
    expect(() => runner.admit(Q, origin('alice'))).toThrow(expect.objectContaining({ code: 'rate_limited', message: expect.stringMatching(/already have 2/) }));
    expect(b.events[0]).toMatchObject({ type: 'run-queued', position: 1 });
    // Another user is not limited by alice's runs.
    const c = await startFor(runner, 'bob');
    expect(runner.activeFor('alice')).toEqual([a.id, b.id]);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gate.release();
    }
    await Promise.all([a.done, b.done, c.done]);
    expect(runner.activeFor('alice')).toEqual([]);
    // Once alice's runs are done she can start again.
    const d = await startFor(runner, 'alice');
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.release();
    await d.done;
  });

  it('cancels a running job', async () => {
    const gate = gatedSynthesize();
    const runner = createJobRunner({ synthesize: gate.synthesize, stores: await stores() });
    const job = await startFor(runner, 'u');
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
    const job = await startFor(runner, 'u');
    await expect(job.done).rejects.toMatchObject({ code: 'internal', message: 'boom' });
    expect(job.events.at(-1)).toMatchObject({ type: 'run-failed', message: 'boom' });
    expect(await runner.get(job.id)).toMatchObject({ status: 'failed', error: { message: 'boom' } });
  });

  it('keeps reports across a restart and resumes the runs its process left going, from their last finished stage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-'));
    const url = `sqlite://${join(dir, 'store.sqlite')}`;
    // First process: one run finishes, one is still running when the process "dies".
    const first = await stores(url);
    const runnerA = createJobRunner({ synthesize: realSynthesize, stores: first });
    const done = await startFor(runnerA, 'u1');
    const finished: Report = await done.done;
    await runnerA.close();
    // The second run's process dies just after its extraction stage finished (and was checkpointed).
    const b: { runner?: Runner } = {};
    const dies = new AbortController();
    const dying: Synthesize = (request, options) =>
      realSynthesize(request, {
        ...options,
        signal: AbortSignal.any([options!.signal!, dies.signal]),
        onEvent: (e) => {
          if (e.type === 'stage-finished' && e.stage === 'extract') {
            void b.runner!.close({ crash: true });
            dies.abort(new Error('killed'));
          }
        },
      });
    b.runner = createJobRunner({ synthesize: dying, stores: first, leaseMs: 1_000 });
    const stuck = await startFor(b.runner, 'u2');
    await stuck.done.catch(() => undefined);
    await first.close();

    // Second process on the same file: the run is taken over only once its lease has expired.
    const second = await stores(url);
    const runner = createJobRunner({ synthesize: realSynthesize, stores: second });
    expect(await runner.getReport(finished.id)).toEqual(finished);
    expect(await runner.sweep()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const taken = await runner.sweep();
    expect(taken.map((j) => j.id)).toEqual([stuck.id]);
    expect(taken[0]).toMatchObject({ status: 'running', resumes: 1, request: { question: Q.question }, origin: { platform: 'test', asker: 'u2' } });
    expect(await runner.sweep()).toEqual([]);
    const events: ProgressEvent[] = [];
    const resumed = runner.launch(stuck.id, (e) => void events.push(e));
    const report = await resumed.done;
    expect(report.id).toBe(stuck.id);
    const stages = events.filter((e): e is Extract<ProgressEvent, { type: 'stage-finished' }> => e.type === 'stage-finished');
    expect(stages.filter((e) => e.resumed).map((e) => e.stage)).toEqual(['plan', 'search', 'dedupe', 'screen', 'extract']);
    expect(stages.filter((e) => !e.resumed).map((e) => e.stage)).toEqual(['verify', 'review', 'compose']);
    // The same answer as a run nobody interrupted.
    expect(report.claims.map((c) => [c.text, c.verification.verdict])).toEqual(finished.claims.map((c) => [c.text, c.verification.verdict]));
    expect(await runner.get(stuck.id)).toMatchObject({ status: 'succeeded', reportId: stuck.id });
    await runner.release(stuck.id);
    await runner.close();
  });

  it('gives a run up as interrupted once it has been resumed more than maxResumes times', async () => {
    const shared = await stores();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const gate = gatedSynthesize();
      const dying = createJobRunner({ synthesize: gate.synthesize, stores: shared, leaseMs: 60, maxResumes: 2 });
      if (attempt === 1) await startFor(dying, 'u1');
      else {
        const [taken] = await dying.sweep();
        expect(taken).toMatchObject({ resumes: attempt - 1 });
        dying.launch(taken!.id);
      }
      await dying.close({ crash: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const last = createJobRunner({ synthesize: realSynthesize, stores: shared, maxResumes: 2 });
    const [given] = await last.sweep();
    expect(given).toMatchObject({ status: 'interrupted', error: { code: 'interrupted', message: 'It was interrupted 3 times, so it was not resumed again.' } });
    expect(() => last.launch(given!.id)).toThrow(/cannot be launched/);
    await last.close();
  });

  it('hands its runs back on a graceful shutdown: nothing is marked failed, and the next process resumes them at once', async () => {
    const shared = await stores();
    const gate = gatedSynthesize();
    const leaving = createJobRunner({ synthesize: gate.synthesize, stores: shared, leaseMs: 60_000 });
    const run = await startFor(leaving, 'u1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await leaving.close({ handBack: true });
    await expect(run.done).rejects.toMatchObject({ code: 'interrupted' });
    expect(run.events.filter((e) => e.type === 'run-failed')).toEqual([]);
    const record = await shared.jobs.get(run.id);
    expect(record).toMatchObject({ status: 'running', lease: { until: 0 } });
    // No waiting out a 60 s lease: the lease ended with the shutdown.
    const next = createJobRunner({ synthesize: realSynthesize, stores: shared });
    const [taken] = await next.sweep();
    expect(taken?.id).toBe(run.id);
    expect((await next.launch(run.id).done).id).toBe(run.id);
    await next.close();
  });

  it('keeps a live run to its process: another process on the same store takes nothing over while the lease is renewed', async () => {
    const shared = await stores();
    const gate = gatedSynthesize();
    const alive = createJobRunner({ synthesize: gate.synthesize, stores: shared, leaseMs: 90 });
    const other = createJobRunner({ synthesize: realSynthesize, stores: shared, leaseMs: 90 });
    const run = await startFor(alive, 'u1');
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await other.sweep()).toEqual([]);
    }
    gate.release();
    await run.done;
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Finished and released: nothing to take over either.
    expect(await other.sweep()).toEqual([]);
    expect(await other.get(run.id)).toMatchObject({ status: 'succeeded' });
    expect((await other.get(run.id))!.lease).toBeUndefined();
    await alive.close();
    await other.close();
  });

  it('hands a finished run whose delivery was not finalised to the next process, once, of two that sweep together', async () => {
    const shared = await stores();
    const dying = createJobRunner({ synthesize: realSynthesize, stores: shared, leaseMs: 80 });
    const id = await dying.create(dying.admit(Q, origin('u1')), origin('u1'));
    await dying.update(id, { delivery: { step: 'parent', parent: { channel: 'C', id: 'p', own: true } }, origin: { channel: 'C', message: 'p' } });
    await dying.launch(id).done;
    await dying.close({ crash: true });
    await new Promise((resolve) => setTimeout(resolve, 120));
    const [a, b] = [createJobRunner({ synthesize: realSynthesize, stores: shared }), createJobRunner({ synthesize: realSynthesize, stores: shared })];
    const [takenA, takenB] = await Promise.all([a.sweep(), b.sweep()]);
    expect([...takenA, ...takenB].map((j) => j.id)).toEqual([id]);
    const taken = [...takenA, ...takenB][0]!;
    // A finished run keeps its status: its report is there to post.
    expect(taken).toMatchObject({ status: 'succeeded', reportId: id, delivery: { step: 'parent' }, origin: { channel: 'C', message: 'p' } });
    const winner = takenA.length > 0 ? a : b;
    await winner.update(id, { delivery: { step: 'finalised' } });
    await winner.release(id);
    expect(await a.sweep()).toEqual([]);
    await a.close();
    await b.close();
  });
});

describe('stored origins', () => {
  it('reads an origin written by an earlier version (an untyped bag) into the typed one', () => {
    expect(readOrigin({ platform: 'slack', userId: 'U1', channel: 'C1', threadTs: '1.2', parentTs: '1.2', teamId: 'T1' })).toEqual({
      platform: 'slack',
      asker: 'U1',
      channel: 'C1',
      thread: '1.2',
      message: '1.2',
      workspace: 'T1',
    });
    expect(readOrigin({ platform: 'discord', userId: '1', channelId: '2', guildId: '3', retryOf: 'j' })).toEqual({ platform: 'discord', asker: '1', channel: '2', workspace: '3', retryOf: 'j' });
    const current = { platform: 'web', asker: 'a', channel: 'c' };
    expect(readOrigin(current)).toBe(current);
  });
});
