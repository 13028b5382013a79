/**
 * The shared conversation over an in-memory platform: the smallest platform there is (a transport that
 * records what it is asked to do, a renderer to plain strings), so the flow's own rules are checked
 * without a chat platform's fake in between. The contract suite (test/contract) runs the same
 * conversation over Slack's and Discord's fakes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatPlatform, MessageRef, Place } from '../../adapters/shared/chat.js';
import { createConversation, placeOf, type Conversation } from '../../adapters/shared/conversation.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { SynthError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { formatSeconds } from '../../src/progress.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import type { Runtime } from '../../src/runtime.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { makeReport, scriptedSynthesize } from '../slack/scripted.js';

interface Posted {
  ref: MessageRef;
  place: Place;
  text: string;
  edits: string[];
  files: string[];
  at: number;
}

/**
 * A platform that keeps everything in memory; `failPost` makes posts whose text matches it throw;
 * `hang` makes a post or an attach whose text (or `attach`) matches never return (a process killed
 * while the call is in flight); `posted`, `told` and `order` can be shared with a second platform (the
 * same chat after a restart).
 */
function memoryPlatform(options: { failPost?: RegExp; threads?: boolean; hang?: RegExp; attach?: boolean; shared?: { posted: Posted[]; told: string[]; order: string[] } } = {}) {
  const posted: Posted[] = options.shared?.posted ?? [];
  const told: string[] = options.shared?.told ?? [];
  const order: string[] = options.shared?.order ?? [];
  let next = posted.length + 1000 * (options.shared ? 1 : 0);
  const never = new Promise<never>(() => undefined);
  const platform: ChatPlatform<string> & { posted: Posted[]; told: string[]; order: string[] } = {
    name: 'memory',
    posted,
    told,
    order,
    transport: {
      async post(place, text, postOptions = {}) {
        if (options.failPost?.test(text)) throw new SynthError('internal', 'refused by the platform');
        if (options.hang?.test(text)) return never;
        const ref = { channel: place.thread ?? place.channel, id: `m${++next}` };
        posted.push({ ref, place, text, edits: [], files: (postOptions.files ?? []).map((f) => f.name), at: Date.now() });
        order.push(`post:${text.split('\n')[0]}`);
        return ref;
      },
      async edit(ref, text) {
        const message = posted.find((p) => p.ref.id === ref.id)!;
        message.edits.push(text);
        order.push(`edit:${text.split('\n')[0]}`);
      },
      ...(options.attach
        ? {
            attach: async (place: Place, files: readonly { name: string }[]) => {
              if (options.hang?.test('attach')) return never;
              order.push(`attach:${files.map((f) => f.name.split('.').pop()).join(',')}`);
              posted.push({ ref: { channel: place.thread ?? place.channel, id: `m${++next}` }, place, text: 'files', edits: [], files: files.map((f) => f.name), at: Date.now() });
            },
          }
        : {}),
      ...(options.threads === false ? {} : { openThread: async (parent: MessageRef) => ({ channel: parent.channel, thread: `thread-of-${parent.id}` }) }),
      async ephemeral(_place, user, text) {
        told.push(`${user}: ${text}`);
      },
      explainFailure: () => 'I cannot post here.',
    },
    render: {
      parent: ({ question, outcome }) => `Researching: ${question}${outcome ? ` -> ${outcome.kind}` : ''}`,
      progress: (snapshot, { runId }) =>
        snapshot.finished ? `Done in ${formatSeconds(snapshot.elapsedMs)}` : snapshot.failed ? `Failed: ${snapshot.failed.code}` : `Working ${formatSeconds(snapshot.elapsedMs)} [cancel ${runId}]`,
      answer: (report, { asker }) => `Answer for ${asker}: ${report.claims.length} claims`,
      failure: ({ runId, text, retryable }) => `The run failed: ${text}${retryable ? ` [retry ${runId}]` : ''}`,
      notice: (words) => (typeof words === 'string' ? words : words.map((w) => (typeof w === 'string' ? w : `@${w.user}`)).join('')),
    },
  };
  return platform;
}

const cores: Core[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.close();
});

async function setup(synthesize: Synthesize, platform: ReturnType<typeof memoryPlatform>, options: { tickMs?: number; progressIntervalMs?: number; stores?: Stores; leaseMs?: number; maxResumes?: number } = {}) {
  const config = loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none', SYNTH_MAX_RUNS_PER_USER: '1' });
  const runtime = { synthesize, engine: undefined, sources: [], skipped: [] } as unknown as Runtime;
  const core = await createCore(config, silentLogger, { stores: options.stores ?? (await createStores('memory://')), runtime, ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}), ...(options.maxResumes !== undefined ? { maxResumes: options.maxResumes } : {}) });
  cores.push(core);
  const conversation: Conversation<string> = createConversation({ core, platform, log: silentLogger, progressIntervalMs: options.progressIntervalMs ?? 20, tickMs: options.tickMs ?? 60 });
  return { core, conversation };
}

function admitted(conversation: Conversation<string>, asker: string, question: string) {
  const result = conversation.admit(asker, question);
  if ('refusal' in result) throw new Error(result.refusal);
  return result.admission;
}

describe('the shared conversation', () => {
  it('posts the parent, opens a thread, records a typed origin, and ends the progress before the answer', async () => {
    const platform = memoryPlatform();
    const { core, conversation } = await setup(scriptedSynthesize({ stepMs: 15, report: (id) => makeReport({ id }) }), platform);
    const runId = await conversation.ask(admitted(conversation, 'alice', 'Does it work?'), { channel: 'C1', workspace: 'W1' });
    await conversation.settled();
    expect(runId).toBeDefined();
    const [parent, progress, answer] = platform.posted;
    expect(parent!.text).toBe('Researching: Does it work?');
    expect(parent!.edits.at(-1)).toBe('Researching: Does it work? -> answered');
    expect(progress!.place).toEqual({ channel: 'C1', thread: `thread-of-${parent!.ref.id}` });
    expect(answer!.text).toBe('Answer for alice: 3 claims');
    expect(answer!.files.map((f) => f.split('.').pop())).toEqual(['md', 'json', 'bib']);
    const record = await core.runner.get(runId!);
    expect(record!.origin).toEqual({ platform: 'memory', asker: 'alice', channel: 'C1', thread: `thread-of-${parent!.ref.id}`, message: parent!.ref.id, workspace: 'W1' });
    // The progress message's last state is written before the answer is posted.
    const done = platform.order.findIndex((o) => /^(?:post|edit):Done/.test(o));
    expect(done).toBeGreaterThanOrEqual(0);
    expect(done).toBeLessThan(platform.order.indexOf('post:Answer for alice: 3 claims'));
    expect(placeOf(record!.origin)).toEqual(progress!.place);
  });

  it('refreshes the elapsed time while a stage is slow and sends no events', async () => {
    const platform = memoryPlatform();
    // One slow stage: 8 steps of 5 ms, but the search stage waits 500 ms without a word.
    const slow: Synthesize = async (request, options) => {
      const listeners = options?.onEvent === undefined ? [] : Array.isArray(options.onEvent) ? options.onEvent : [options.onEvent];
      for (const listener of listeners) void listener({ type: 'stage-started', stage: 'search', runId: options!.runId!, elapsedMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      return scriptedSynthesize({ report: (id) => makeReport({ id }) })(request, options);
    };
    const { conversation } = await setup(slow, platform, { tickMs: 100, progressIntervalMs: 20 });
    await conversation.ask(admitted(conversation, 'alice', 'Does it work?'), { channel: 'C1' });
    await conversation.settled();
    const progress = platform.posted[1]!;
    const shown = [progress.text, ...progress.edits].filter((t) => t.startsWith('Working')).map((t) => Number(/Working ([\d.]+) s/.exec(t)![1]));
    // Several distinct elapsed times while the search stage said nothing, in order.
    expect(new Set(shown).size).toBeGreaterThanOrEqual(3);
    expect([...shown].sort((a, b) => a - b)).toEqual(shown);
    expect(Math.max(...shown)).toBeGreaterThanOrEqual(0.3);
  });

  it('gives the place back and tells the asker when the parent cannot be posted', async () => {
    const platform = memoryPlatform({ failPost: /^Researching/ });
    const { core, conversation } = await setup(scriptedSynthesize({}), platform);
    expect(await conversation.ask(admitted(conversation, 'alice', 'Does it work?'), { channel: 'C1' })).toBeUndefined();
    expect(platform.told).toEqual(['alice: I cannot post here.']);
    // The limit is one run per user here: the place was released, so alice can ask again.
    expect('admission' in conversation.admit('alice', 'Does it work again?')).toBe(true);
    expect(core.runner.activeFor('alice')).toEqual([]);
  });

  it('uses the fallback when the answer cannot be posted, and otherwise says so with Retry', async () => {
    const refused = memoryPlatform({ failPost: /^Answer/ });
    const first = await setup(scriptedSynthesize({ report: (id) => makeReport({ id }) }), refused);
    const delivered: string[] = [];
    await first.conversation.ask(admitted(first.conversation, 'alice', 'Does it work?'), { channel: 'C1', fallback: async (message, files) => void delivered.push(`${message} + ${files.length} files`) });
    await first.conversation.settled();
    expect(delivered).toEqual(['Answer for alice: 3 claims + 3 files']);
    expect(refused.posted[0]!.edits.at(-1)).toMatch(/-> undelivered$/);

    const noFallback = memoryPlatform({ failPost: /^Answer/ });
    const second = await setup(scriptedSynthesize({ report: (id) => makeReport({ id }) }), noFallback);
    const runId = await second.conversation.ask(admitted(second.conversation, 'bob', 'Does it work?'), { channel: 'C1' });
    await second.conversation.settled();
    expect(noFallback.posted.at(-1)!.text).toBe(`The run failed: Something went wrong inside the bot. The report is ready, but posting the answer failed (refused by the platform). [retry ${runId}]`);
  });

  it('hangs a run off an existing message and reports in its thread when asked inside one (no new thread)', async () => {
    const platform = memoryPlatform();
    const { core, conversation } = await setup(scriptedSynthesize({ report: (id) => makeReport({ id }) }), platform);
    const runId = await conversation.ask(admitted(conversation, 'alice', 'Does it work?'), { channel: 'C1', message: 'user-msg', thread: 'T9' });
    await conversation.settled();
    expect(platform.posted.every((p) => p.place.thread === 'T9')).toBe(true);
    expect(platform.posted.some((p) => p.text.startsWith('Researching'))).toBe(false);
    expect((await core.runner.get(runId!))!.origin).toMatchObject({ channel: 'C1', thread: 'T9', message: 'user-msg' });
  });

  it('without threads, a fallback place replies to the parent, and a restart notice finds it from the origin', async () => {
    const platform = memoryPlatform({ threads: false });
    platform.transport.openThread = async (parent) => ({ channel: parent.channel, replyTo: parent.id, note: 'no threads here' });
    const gate: { release?: () => void } = {};
    const hanging: Synthesize = (_request, options) =>
      new Promise((_resolve, reject) => {
        gate.release = () => reject(new SynthError('internal', 'stopped'));
        options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
      });
    const { core, conversation } = await setup(hanging, platform);
    const runId = await conversation.ask(admitted(conversation, 'alice', 'Does it work?'), { channel: 'C1' });
    const record = (await core.runner.get(runId!))!;
    expect(record.origin.thread).toBeUndefined();
    expect(placeOf(record.origin)).toEqual({ channel: 'C1', replyTo: platform.posted[0]!.ref.id });
    await conversation.resume([{ ...record, status: 'interrupted', error: { code: 'interrupted', message: '' } }]);
    expect(platform.posted.at(-1)!.place).toMatchObject({ channel: 'C1', replyTo: platform.posted[0]!.ref.id });
    expect(platform.posted.at(-1)!.text).toBe(`The run failed: The bot restarted while this run was in progress. [retry ${runId}]`);
    gate.release!();
    await conversation.settled();
  });
});

describe('delivery after a crash', () => {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Runs a question on a first "process" until `hang` blocks it, kills it (its runner stops renewing
   * and writing), then lets a second process over the same stores and the same chat take the run over.
   */
  async function crashAndResume(hang: RegExp, synthesize: Synthesize, options: { attach?: boolean; after?: (posted: Posted[]) => boolean; maxResumes?: number; then?: Synthesize } = {}) {
    const stores = await createStores('memory://');
    const first = memoryPlatform({ hang, ...(options.attach ? { attach: true } : {}) });
    const one = await setup(synthesize, first, { stores, leaseMs: 120 });
    const runId = (await one.conversation.ask(admitted(one.conversation, 'alice', 'Does it work?'), { channel: 'C1' }))!;
    const deadline = Date.now() + 5000;
    while (!(options.after ?? ((posted: Posted[]) => posted.some((p) => /^Done/.test(p.text) || p.edits.some((e) => /^Done|^Failed/.test(e)))))(first.posted)) {
      if (Date.now() > deadline) throw new Error('the first process never reached the crash point');
      await wait(10);
    }
    await wait(30);
    await one.core.runner.close({ crash: true });
    one.conversation.close();
    const second = memoryPlatform({ shared: first, ...(options.attach ? { attach: true } : {}) });
    const two = await setup(options.then ?? scriptedSynthesize({}), second, { stores, ...(options.maxResumes !== undefined ? { maxResumes: options.maxResumes } : {}) });
    expect(await two.core.runner.sweep(['memory'])).toEqual([]);
    await wait(150);
    const taken = await two.core.runner.sweep(['memory']);
    expect(taken.map((j) => j.id)).toEqual([runId]);
    await two.conversation.resume(taken);
    await two.conversation.settled();
    // Finalised and released: a later sweep finds nothing.
    await wait(150);
    expect(await two.core.runner.sweep(['memory'])).toEqual([]);
    return { platform: second, runId, core: two.core };
  }

  it('posts a report that was saved but never posted, once, and finalises the progress and the parent', async () => {
    const { platform, runId, core } = await crashAndResume(/^Answer/, scriptedSynthesize({ report: (id) => makeReport({ id }) }));
    const answers = platform.posted.filter((p) => p.text.startsWith('Answer'));
    expect(answers).toHaveLength(1);
    expect(answers[0]!.files).toHaveLength(3);
    const [parent, progress] = platform.posted;
    expect(parent!.edits.at(-1)).toBe('Researching: Does it work? -> answered');
    expect([progress!.text, ...progress!.edits].at(-1)).toMatch(/^Done/);
    expect((await core.runner.get(runId))!.delivery!.step).toBe('finalised');
  });

  it('attaches the files of an answer that was posted when the process died during the upload, without a second answer', async () => {
    const { platform } = await crashAndResume(/^attach$/, scriptedSynthesize({ report: (id) => makeReport({ id }) }), {
      attach: true,
      after: (posted) => posted.some((p) => p.text.startsWith('Answer')),
    });
    expect(platform.posted.filter((p) => p.text.startsWith('Answer'))).toHaveLength(1);
    expect(platform.order.filter((o) => o.startsWith('attach:'))).toEqual(['attach:md,json,bib']);
    expect(platform.posted[0]!.edits.at(-1)).toBe('Researching: Does it work? -> answered');
  });

  it('resumes a run that was still going, in its thread: its progress message carries on and it is answered once', async () => {
    const hanging: Synthesize = (_request, options) => new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true }));
    const { platform, runId, core } = await crashAndResume(/^never$/, hanging, {
      after: (posted) => posted.some((p) => p.text.startsWith('Working')),
      then: scriptedSynthesize({ report: (id) => makeReport({ id }) }),
    });
    expect(platform.posted.filter((p) => p.text.startsWith('The run failed'))).toEqual([]);
    const answers = platform.posted.filter((p) => p.text.startsWith('Answer'));
    expect(answers).toHaveLength(1);
    expect(answers[0]!.place).toEqual(platform.posted[1]!.place);
    // One progress message, edited on to its end, saying the run was resumed.
    const progress = platform.posted.filter((p) => p.text.startsWith('Working'));
    expect(progress).toHaveLength(1);
    expect(progress[0]!.edits.at(-1)).toMatch(/^Done/);
    expect(platform.posted[0]!.edits.at(-1)).toBe('Researching: Does it work? -> answered');
    expect(await core.runner.get(runId)).toMatchObject({ status: 'succeeded', resumes: 1, delivery: { step: 'finalised' } });
  });

  it('tells the thread of a run that may not be resumed that it was interrupted, with Retry, and ends its progress', async () => {
    const hanging: Synthesize = (_request, options) => new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true }));
    const { platform, runId, core } = await crashAndResume(/^never$/, hanging, { after: (posted) => posted.some((p) => p.text.startsWith('Working')), maxResumes: 0 });
    const failure = platform.posted.find((p) => p.text.startsWith('The run failed'))!;
    expect(failure.text).toBe(`The run failed: The bot restarted while this run was in progress. [retry ${runId}]`);
    expect(failure.place).toEqual(platform.posted[1]!.place);
    const progress = platform.posted.find((p) => p.text.startsWith('Working'))!;
    expect(progress.edits.at(-1)).toBe('Failed: interrupted');
    expect(platform.posted[0]!.edits.at(-1)).toBe('Researching: Does it work? -> failed');
    expect((await core.runner.get(runId))!.status).toBe('interrupted');
  });
});
