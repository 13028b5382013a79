/**
 * The scale-out mode (issue 13), on a real Redis: runs go to BullMQ workers in processes of their own,
 * progress flows back to the front end, a worker killed with SIGKILL mid-run is resumed by another
 * from its last checkpoint, a front end that crashes mid-run is replaced by one that catches up,
 * cancel reaches the worker, a draining worker hands its run back, and the per-user limit holds
 * across front ends. Every run is answered exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import type { ProgressEvent } from '../../src/events.js';
import type { Report } from '../../src/model.js';
import { silentLogger } from '../../src/logger.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { freshRedis, REDIS_DATABASES } from '../helpers/redis.js';

const CORPUS = join(FIXTURES, 'corpus/exercise.jsonl');
const QUESTION = 'Does exercise reduce depressive symptoms in adults?';
let url: string;
let redis: Redis;
beforeAll(async () => {
  url = await freshRedis(REDIS_DATABASES.queue);
  redis = new Redis(url);
});
afterAll(() => {
  redis.disconnect();
});

const children = new Set<ChildProcess>();
const cores: Core[] = [];
const stores: Stores[] = [];
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const core of cores.splice(0)) await core.close().catch(() => undefined);
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

const env = (extra: Record<string, string> = {}) => ({
  QUEUE_URL: url,
  STORE_URL: url,
  SYNTH_SOURCES: 'none',
  SYNTH_CORPUS: CORPUS,
  LOG_LEVEL: 'silent',
  WORKER_LOCK_MS: '1000',
  WORKER_DRAIN_MS: '30000',
  ...extra,
});

/** Starts a worker process; resolves when it takes runs. */
async function worker(extra: Record<string, string> = {}): Promise<{ child: ChildProcess; name: string; port: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/helpers/worker-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env(extra) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the worker exited with ${code}: ${stderr}`)));
  });
  return { child, ...(JSON.parse(line) as { name: string; port: number | null }) };
}

/** A front end's core on the queue (shared stores over Redis). */
async function frontEnd(options: { leaseMs?: number; maxPerUser?: number } = {}): Promise<Core> {
  const shared = await createStores(url);
  stores.push(shared);
  const core = await createCore(loadConfig(env({ SYNTH_MAX_RUNS_PER_USER: String(options.maxPerUser ?? 2) })), silentLogger, {
    stores: shared,
    queuePollMs: 100,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  cores.push(core);
  return core;
}

async function ask(core: Core, asker = 'u1', question = QUESTION) {
  const events: ProgressEvent[] = [];
  const origin = { platform: 'test', asker };
  const run = await core.runner.start(core.runner.admit({ question }, origin), origin, (e) => void events.push(e));
  return { ...run, events };
}

const waitFor = async <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};
const finished = (events: ProgressEvent[]) => events.filter((e): e is Extract<ProgressEvent, { type: 'stage-finished' }> => e.type === 'stage-finished');
const runState = (id: string) => redis.hgetall(`synth:run:${id}`);
const reportsIn = async (s: Stores) => {
  const all: Report[] = [];
  for await (const [, value] of s.reports.iterator!(undefined)) all.push(value as Report);
  return all;
};

describe('runs on workers (QUEUE_URL)', () => {
  it('runs a question on a worker process and streams its progress back to the front end', async () => {
    await worker();
    const core = await frontEnd();
    const run = await ask(core);
    const report = await run.done;
    expect(report.id).toBe(run.id);
    expect(report.claims.length).toBeGreaterThan(0);
    expect(finished(run.events).map((e) => e.stage)).toEqual(['plan', 'search', 'dedupe', 'screen', 'extract', 'verify', 'review', 'compose']);
    expect(run.events.at(-1)).toMatchObject({ type: 'run-finished', reportId: run.id });
    expect(await core.runner.get(run.id)).toMatchObject({ status: 'succeeded', reportId: run.id });
    expect(await runState(run.id)).toMatchObject({ status: 'succeeded', starts: '1' });
    // The front end built no corpus index: the worker ran the pipeline.
    expect(await core.stores.reports.get(run.id)).toMatchObject({ id: run.id });
  });

  it('resumes a run whose worker was killed with SIGKILL on another worker, from its last checkpoint, answered once', async () => {
    const doomed = await worker({ EXTRACT_DELAY_MS: '60000' });
    const core = await frontEnd();
    const run = await ask(core);
    // Killed once its search is checkpointed, during the (slow) extraction.
    await waitFor('the screen stage to finish', () => finished(run.events).some((e) => e.stage === 'screen'));
    doomed.child.kill('SIGKILL');
    const t0 = Date.now();
    await worker();
    const report = await run.done;
    const resumedAfterMs = Date.now() - t0;
    expect(report.id).toBe(run.id);
    const stages = finished(run.events);
    expect(stages.filter((e) => e.resumed).map((e) => e.stage)).toEqual(['plan', 'search', 'dedupe', 'screen']);
    expect(stages.filter((e) => !e.resumed).map((e) => e.stage)).toEqual(['plan', 'search', 'dedupe', 'screen', 'extract', 'verify', 'review', 'compose']);
    expect(await runState(run.id)).toMatchObject({ status: 'succeeded', starts: '2' });
    expect((await reportsIn(core.stores)).filter((r) => r.id === run.id)).toHaveLength(1);
    expect(run.events.filter((e) => e.type === 'run-finished')).toHaveLength(1);
    // A 1 s lock: resumed within a few lock lengths of the kill.
    expect(resumedAfterMs).toBeLessThan(15_000);
  });

  it('lets a front end that crashed mid-run be replaced: the next one catches up on the progress and gets the answer', async () => {
    await worker({ EXTRACT_DELAY_MS: '1500' });
    const first = await frontEnd({ leaseMs: 300 });
    const run = await ask(first);
    await waitFor('the screen stage to finish', () => finished(run.events).some((e) => e.stage === 'screen'));
    await first.runner.close({ crash: true });
    await first.queue!.close();
    const second = await frontEnd();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const [taken] = await second.runner.sweep(['test']);
    expect(taken).toMatchObject({ id: run.id, status: 'running', resumes: 1 });
    const events: ProgressEvent[] = [];
    const followed = second.runner.launch(run.id, (e) => void events.push(e));
    const report = await followed.done;
    expect(report.id).toBe(run.id);
    // The progress before the takeover was replayed from the run's log, in order, each stage once.
    expect(finished(events).map((e) => e.stage)).toEqual(['plan', 'search', 'dedupe', 'screen', 'extract', 'verify', 'review', 'compose']);
    // The run itself was never restarted: one start on one worker.
    expect(await runState(run.id)).toMatchObject({ status: 'succeeded', starts: '1' });
    await second.runner.release(run.id);
  });

  it('cancels a run on its worker', async () => {
    await worker({ EXTRACT_DELAY_MS: '60000' });
    const core = await frontEnd();
    const run = await ask(core);
    await waitFor('the run to start on the worker', async () => (await runState(run.id)).status === 'running');
    expect(await core.runner.cancel(run.id)).toBe(true);
    await expect(run.done).rejects.toMatchObject({ code: 'cancelled' });
    await waitFor('the worker to record the cancel', async () => (await runState(run.id)).status === 'cancelled');
    expect(await core.stores.reports.get(run.id)).toBeUndefined();
  });

  it('drains on SIGTERM: a run that does not finish in the drain time goes back to the queue and another worker finishes it', async () => {
    const leaving = await worker({ EXTRACT_DELAY_MS: '60000', WORKER_DRAIN_MS: '300' });
    const core = await frontEnd();
    const run = await ask(core);
    await waitFor('the screen stage to finish', () => finished(run.events).some((e) => e.stage === 'screen'));
    const exited = new Promise((resolve) => leaving.child.once('exit', resolve));
    leaving.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await worker();
    const report = await run.done;
    expect(report.id).toBe(run.id);
    expect(finished(run.events).filter((e) => e.resumed).map((e) => e.stage)).toEqual(['plan', 'search', 'dedupe', 'screen']);
    expect(run.events.filter((e) => e.type === 'run-failed')).toEqual([]);
    expect(await runState(run.id)).toMatchObject({ status: 'succeeded', starts: '2' });
  });

  it('holds the per-user limit across front ends', async () => {
    await worker({ EXTRACT_DELAY_MS: '60000' });
    const a = await frontEnd({ maxPerUser: 1 });
    const b = await frontEnd({ maxPerUser: 1 });
    const origin = { platform: 'test', asker: 'limited' };
    const run = await ask(a, 'limited');
    // Front end b has no run of this user in memory; the shared slot still refuses.
    const admission = b.runner.admit({ question: QUESTION }, origin);
    await expect(b.runner.create(admission, origin)).rejects.toMatchObject({ code: 'rate_limited' });
    // Someone else is not limited.
    const other = await ask(b, 'someone else');
    expect(other.id).not.toBe(run.id);
    await a.runner.cancel(run.id);
    await b.runner.cancel(other.id);
    await expect(run.done).rejects.toMatchObject({ code: 'cancelled' });
    // The slot is given back with the run: the user may ask again, on either front end.
    const again = b.runner.admit({ question: QUESTION }, origin);
    const id = await b.runner.create(again, origin);
    expect(id).toBeTruthy();
    await b.runner.cancel(id);
  });

  it('answers /healthz and /readyz on a worker', async () => {
    const w = await worker({ WORKER_HEALTH_PORT: '0' });
    expect(w.port).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${w.port}/healthz`)).text()).toBe('ok');
    const ready = await fetch(`http://127.0.0.1:${w.port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, queue: 'ok', store: 'ok' });
    expect((await fetch(`http://127.0.0.1:${w.port}/nope`)).status).toBe(404);
  });

  it('refuses to start a worker without QUEUE_URL, or with a store it cannot share, in one line', async () => {
    const { runWorker } = await import('../../src/worker.js');
    await expect(runWorker({ STORE_URL: url, LOG_LEVEL: 'silent' })).rejects.toThrow(/^QUEUE_URL: is needed by a worker/);
    await expect(runWorker({ QUEUE_URL: url, STORE_URL: 'memory://', LOG_LEVEL: 'silent' })).rejects.toThrow(/^STORE_URL: memory:\/\/ cannot be shared/);
    await expect(runWorker({ QUEUE_URL: 'redis://:secret@127.0.0.1:1/0', STORE_URL: url, LOG_LEVEL: 'silent', SYNTH_SOURCES: 'none' })).rejects.toThrow(/^QUEUE_URL: cannot reach Redis at redis:\/\/:\*+@127\.0\.0\.1:1\/0/);
  });
});
