/**
 * The conversation of one research question, the same on every chat platform: admission (the
 * question cleaned and the per-user limit taken once, synchronously, inside the platform's
 * acknowledgement deadline), the parent message and the thread, one progress message edited in place
 * (coalesced within the platform's edit limits, its elapsed time refreshed while a stage is slow, its
 * final one-line state written before the answer), the answer with its files, a failure with Retry,
 * Cancel, restart notices and the error texts. A platform supplies a transport and a renderer
 * (`chat.ts`); see "Adding a chat platform" in the README.
 */
import type { Core } from '../../src/core.js';
import { asSynthError } from '../../src/errors.js';
import type { ProgressEvent } from '../../src/events.js';
import type { Delivery, JobRecord, RunOrigin } from '../../src/jobs/job.js';
import { isHandedBack, type Admission, type JobPatch, type Run } from '../../src/jobs/runner.js';
import { isFinished } from '../../src/jobs/job.js';
import type { Logger } from '../../src/logger.js';
import type { Claim, Report, RunRequest } from '../../src/model.js';
import { createProgressTracker, type ProgressSnapshot, type ProgressTracker } from '../../src/progress.js';
import type { ChatPlatform, MessageRef, Place, RunOutcome, Words } from './chat.js';
import { createClaims, type Claims } from './claims.js';
import { createCoalescer } from './coalescer.js';
import { reportFiles, type ReportFile } from './files.js';
import { answerLine } from './glance.js';
import { failureText, isRetryable, refusalText } from './texts.js';
import { findReference } from '../../src/pipeline/add-paper.js';
import { isChitChat, parseThreadCommand, threadPapers } from '../../src/pipeline/followup.js';
import { parsePaperId } from '../../src/sources/lookup.js';
import { describeReverification, flagClaim, voteOnAnswer } from '../../src/pipeline/flags.js';
import { cleanText } from '../../src/text/sanitize.js';

/** How a question was asked: where, and the platform's own ways to answer the asker. */
export interface Asking<M> {
  /** The channel it was asked in. */
  channel: string;
  /** A message already there that the run hangs off (the one that mentioned the bot); else a parent is posted. */
  message?: string;
  /** Asked inside this thread: the run reports in it (no new thread). */
  thread?: string;
  /** Slack team or Discord guild. */
  workspace?: string;
  /** Posts and edits the parent where the platform does it its own way (Discord: the command's interaction reply). */
  parent?: { post(message: M): Promise<MessageRef>; edit(ref: MessageRef, message: M): Promise<void> };
  /** Tells the asker something only they see, where the transport's `ephemeral` does not serve (Slack's response URL). */
  tell?(message: M): Promise<void>;
  /** Where the answer goes when the run's place refuses it (Discord: the interaction's follow-up). */
  fallback?(message: M, files: readonly ReportFile[]): Promise<void>;
}

/** Where a message in a thread was posted. */
export interface ThreadMessage<M> {
  channel: string;
  thread: string;
  /** The message itself. */
  message: string;
  workspace?: string;
  /** True when the message mentions the bot; a plain reply counts only when it asks something. */
  mentioned?: boolean;
  /** Tells the author something only they see, where the transport's `ephemeral` does not serve. */
  tell?(message: M): Promise<void>;
}

/** Said on the progress of a run resumed after its process stopped. */
export const RESUMED_NOTE = 'Resumed after a restart: the stages already done were kept.';

/** How long a run's thread is remembered for follow-ups (30 days). */
const THREAD_TTL_MS = 30 * 24 * 3600 * 1000;

/** A click on one of the bot's controls. */
export interface Click<M> {
  /** The message the control was on. */
  message: MessageRef;
  /** Replies to the person who clicked only. */
  tell(message: M): Promise<void>;
  /** Replaces the clicked message (e.g. a Retry button by "Retried by …"). */
  replace?(message: M): Promise<void>;
}

/** Options of {@link createConversation}. */
export interface ConversationOptions<M> {
  core: Core;
  platform: ChatPlatform<M>;
  log: Logger;
  /** Least time between two edits of one progress message, and the delay before it is first posted (default 1,000 ms). */
  progressIntervalMs?: number;
  /** Least time between two thread status updates (default 3,000 ms). */
  statusIntervalMs?: number;
  /** How often the elapsed time is refreshed while nothing else changes (default 5,000 ms). */
  tickMs?: number;
  now?: () => number;
  /** What of an error may be logged (Discord: never the request URL, which can hold an interaction token). */
  loggable?: (error: unknown) => unknown;
}

/** The result of {@link Conversation.admit}. */
export type Admitted = { admission: Admission } | { refusal: string };

/** One platform's conversations. */
export interface Conversation<M> {
  /** Synchronous: the question cleaned and a place in the asker's limit taken, or why not (plain text). */
  admit(asker: string, question: string, options?: Omit<RunRequest, 'question'>): Admitted;
  /**
   * Posts the parent (unless the run hangs off an existing message), opens the thread, starts the run
   * and follows it there. Resolves with the run id once it has started (undefined when it could not:
   * the asker has been told why); the answer follows.
   */
  ask(admission: Admission, asking: Asking<M>): Promise<string | undefined>;
  /** Retry of a failed run, by its asker; a second click (or a second person) starts nothing. */
  retry(jobId: string, presser: string, click: Click<M>): Promise<void>;
  /**
   * Cancels a run for its asker; resolves to what to tell the presser, or undefined when cancelled.
   * With `check`, only says whether the presser may cancel it (before asking them to confirm).
   */
  cancel(jobId: string, presser: string, options?: { check?: boolean }): Promise<Words | undefined>;
  /**
   * A message in a thread, addressed to the bot (`mentioned`) or a plain reply: in one of the bot's run
   * threads it is a thread command ("explain claim 3", "since 2020", "more papers"), a follow-up
   * question answered in the thread (first from the run's papers), or chit-chat left alone. Resolves
   * to what it was; `'not-ours'` for a thread the bot did not start (or another workspace's), where a
   * mention is a new question and a plain reply is ignored.
   */
  inThread(asker: string, text: string, where: ThreadMessage<M>): Promise<'command' | 'follow-up' | 'ignored' | 'refused' | 'not-ours'>;
  /**
   * Flags a claim for `presser` (with an optional reason): stored with the report, the claim re-verified
   * against all the thread's papers, the thread told what moved and the answer redrawn ("flagged by
   * N"). Resolves to what to tell the flagger.
   */
  flag(reportId: string, claimId: string, presser: string, reason?: string): Promise<Words>;
  /** A thumbs up or down on an answer, stored with the report (one per person). Resolves to what to tell the voter. */
  vote(reportId: string, presser: string, vote: 'up' | 'down'): Promise<Words>;
  /** A claim of a stored report, for its evidence; undefined when either is gone. */
  evidence(reportId: string, claimId: string): Promise<{ report: Report; claim: Claim } | undefined>;
  /**
   * Finishes the delivery of runs another process left unfinished (`JobRunner.sweep`): a saved report
   * is posted if it was not yet, a run that was still going gets "interrupted by a restart" with Retry,
   * the files are attached, and the progress and parent reach their final state; each step once.
   */
  resume(jobs: readonly JobRecord[]): Promise<void>;
  /** Counts a piece of work (a command being handled, a click) until it settles. */
  track(work: Promise<unknown>): void;
  /** Resolves when every followed run has been posted and every tracked piece of work has settled. */
  settled(): Promise<void>;
  /** Stops timers; pending edits are dropped. */
  close(): void;
}

/** True for text that asks: it ends in a question mark or opens with a question word. */
function asksSomething(text: string): boolean {
  const trimmed = text.trim();
  return /\?\s*$/.test(trimmed) || /^(?:what|how|does|do|did|is|are|was|were|can|could|should|would|will|why|which|when|where|who|any)\b/i.test(trimmed);
}

/** A request without the follow-up link (a refinement re-runs the original question itself). */
function withoutFollowUp(request: RunRequest): Omit<RunRequest, 'question'> {
  const { question: _question, followUpOf: _followUpOf, revisionOf: _revisionOf, addTo: _addTo, ...rest } = request;
  return rest;
}

/** Where a run's messages go, from its origin. */
export function placeOf(origin: RunOrigin): Place | undefined {
  if (!origin.channel) return undefined;
  if (origin.thread) return { channel: origin.channel, thread: origin.thread };
  return origin.message ? { channel: origin.channel, replyTo: origin.message } : { channel: origin.channel };
}

interface Following<M> {
  run: Run;
  place: Place;
  delivery: Delivery;
  tracker: ProgressTracker;
  startedAt: number;
  /** The progress message, once its post was made. */
  progress?: Promise<MessageRef | undefined>;
  showing: boolean;
  ended: boolean;
  status: { last: string; set: boolean; off: boolean };
  timers: NodeJS.Timeout[];
  /** The rendered state, for the coalescer. */
  message?: M;
  /** Said under the progress (a resumed run says so). */
  note?: string;
}

/** Creates the conversations of one platform. */
export function createConversation<M>(options: ConversationOptions<M>): Conversation<M> {
  const { core, platform, log } = options;
  const { transport, render } = platform;
  const runner = core.runner;
  const now = options.now ?? Date.now;
  const loggable = options.loggable ?? ((error: unknown) => error);
  const interval = options.progressIntervalMs ?? 1000;
  const tickMs = options.tickMs ?? 5000;
  const claims: Claims = createClaims(core.stores);
  const threadKey = (channel: string, thread: string) => `chat:thread:${platform.name}:${channel}:${thread}`;
  /** Changes to one report, one at a time (two flags at once must both be kept). */
  const reportChains = new Map<string, Promise<unknown>>();
  const onReport = <T>(reportId: string, task: () => Promise<T>): Promise<T> => {
    const next = (reportChains.get(reportId) ?? Promise.resolve()).catch(() => undefined).then(task);
    reportChains.set(reportId, next);
    void next.finally(() => {
      if (reportChains.get(reportId) === next) reportChains.delete(reportId);
    }).catch(() => undefined);
    return next;
  };
  /** Where a report's run lives: its place, its answer message and its asker (the report id is the run's). */
  const whereIs = async (reportId: string) => {
    const record = await runner.get(reportId);
    if (!record || record.origin.platform !== platform.name) return undefined;
    const place = record.delivery?.place ?? placeOf(record.origin);
    return place ? { place, answer: record.delivery?.answer, asker: record.origin.asker } : undefined;
  };
  const following = new Map<string, Following<M>>();
  const live = new Set<Promise<unknown>>();

  const progress = createCoalescer<M>({
    intervalMs: interval,
    write: async (runId, message) => {
      const f = following.get(runId);
      if (!f) return;
      if (!f.progress) {
        f.progress = transport.post(f.place, message, { priority: 'answer', key: `${runId}:progress` }).catch((error: unknown) => {
          log.warn({ err: loggable(error), runId }, 'could not post the progress message');
          return undefined;
        });
        const ref = await f.progress;
        if (ref) {
          f.delivery.progress = ref;
          await record(runId, f.delivery);
        }
        return;
      }
      const ref = await f.progress;
      if (ref) await transport.edit(ref, message, 'background');
    },
    onError: (error, runId) => log.warn({ err: loggable(error), runId }, 'progress edit failed'),
  });

  const status = createCoalescer<string>({
    intervalMs: options.statusIntervalMs ?? 3000,
    write: async (runId, text) => {
      const f = following.get(runId);
      if (!f || f.status.off || !transport.setStatus) return;
      // A thread's status is cleared when the app posts in it: set it after the progress message.
      await f.progress;
      try {
        await transport.setStatus(f.place, text);
      } catch (error) {
        // Best effort: where the platform does not offer thread statuses the thread goes without.
        f.status.off = true;
        log.debug({ runId, err: loggable(error) }, 'thread status unavailable');
      }
    },
  });

  /** The snapshot to draw: while the run goes, its elapsed time is the clock's, so it moves while a stage is slow. */
  const snapshotOf = (f: Following<M>): ProgressSnapshot => {
    const snapshot = f.tracker.snapshot();
    if (snapshot.finished || snapshot.failed) return snapshot;
    return { ...snapshot, elapsedMs: Math.max(snapshot.elapsedMs, now() - f.startedAt) };
  };

  const draw = (f: Following<M>) => {
    if (!f.showing) return;
    const snapshot = snapshotOf(f);
    progress.push(f.run.id, render.progress(snapshot, { runId: f.run.id, ...((f.note ?? f.place.note) ? { note: (f.note ?? f.place.note)! } : {}) }));
    if (transport.setStatus && render.status && !snapshot.finished && !snapshot.failed) {
      const text = render.status(snapshot);
      if (text !== f.status.last) {
        f.status.last = text;
        f.status.set = true;
        status.push(f.run.id, text);
      }
    }
  };

  const tellAsker = async (asking: Asking<M>, place: Place, asker: string, words: Words) => {
    const message = render.notice(words);
    try {
      if (asking.tell) await asking.tell(message);
      else if (transport.ephemeral) await transport.ephemeral(place, asker, message);
      else await transport.post({ ...place, ...(asking.message ? { replyTo: asking.message } : {}) }, message, { priority: 'interactive' });
    } catch (error) {
      log.warn({ err: loggable(error) }, 'could not tell the asker');
    }
  };

  const postFailure = (place: Place, runId: string, code: string, message: string) =>
    transport.post(place, render.failure({ runId, text: failureText(code, message), retryable: isRetryable(code), ...(code === 'cancelled' ? { cancelled: true } : {}) }), { priority: 'answer' });

  /** Records how far a run's delivery got (before the next step). A failed write is logged; delivery goes on. */
  const record = (runId: string, delivery: Delivery, origin?: JobPatch['origin']) =>
    runner.update(runId, { delivery: { ...delivery }, ...(origin ? { origin } : {}) }).catch((error: unknown) => log.error({ err: loggable(error), runId }, 'could not record the delivery of a run'));

  /** The answer, then its files (a step of their own where the platform attaches them separately). */
  const deliverAnswer = async (runId: string, place: Place, report: Report, asker: string, delivery: Delivery, fallback?: Asking<M>['fallback'], resumed = false): Promise<RunOutcome | { error: string }> => {
    const files = await reportFiles(report, log);
    const message = render.answer(report, { asker });
    const outcome: RunOutcome = { kind: 'answered', line: answerLine(report), claims: report.claims.length, quality: report.qualityScore };
    if (!delivery.answer && delivery.step !== 'answered' && delivery.step !== 'files') {
      try {
        const key = `${runId}:answer`;
        // Resumed after a crash, the answer may have been posted before its step was recorded.
        const earlier = resumed && transport.find ? await transport.find(place, key).catch(() => undefined) : undefined;
        const ref = earlier ?? (await transport.post(place, message, { priority: 'answer', key, ...(transport.attach ? {} : { files }) }));
        delivery.answer = ref;
        delivery.step = transport.attach ? 'answered' : 'files';
        await record(runId, delivery);
        await platform.answered?.(ref, report, asker).catch((error: unknown) => log.warn({ err: loggable(error), runId }, 'could not record the answer'));
      } catch (error) {
        log.error({ err: loggable(error), runId }, 'could not post the answer');
        const failed = { error: `The report is ready, but posting the answer failed (${asSynthError(error).message}).` };
        if (!fallback) return failed;
        try {
          await fallback(message, files);
          delivery.step = 'files';
          await record(runId, delivery);
          return { kind: 'undelivered' };
        } catch (second) {
          log.error({ err: loggable(second), runId }, 'could not deliver the answer another way');
          return failed;
        }
      }
    }
    if (transport.attach && delivery.step === 'answered') {
      await transport.attach(place, files).catch((error: unknown) => log.warn({ err: loggable(error), runId }, 'could not attach the report files'));
      delivery.step = 'files';
      await record(runId, delivery);
    }
    return outcome;
  };

  /** The last steps: thread status cleared, the parent's outcome, then the run is released. */
  const finalise = async (runId: string, place: Place, delivery: Delivery, outcome: RunOutcome | undefined, editParent?: (outcome: RunOutcome) => Promise<void>, statusSet = false) => {
    const finals: Promise<unknown>[] = [];
    if (statusSet && transport.setStatus) finals.push(transport.setStatus(place, '').catch(() => undefined));
    if (editParent && outcome) finals.push(editParent(outcome).catch((error: unknown) => log.warn({ err: loggable(error), runId }, 'could not update the parent message')));
    await Promise.all(finals);
    delivery.step = 'finalised';
    await record(runId, delivery);
    await runner.release(runId).catch((error: unknown) => log.warn({ err: loggable(error), runId }, 'could not release a run'));
  };

  /** Reports a started run in its place until it ends; resolves when the answer (or failure) is posted. */
  const follow = (run: Run, place: Place, tracker: ProgressTracker, delivery: Delivery, finish?: (outcome: RunOutcome) => Promise<void>, fallback?: Asking<M>['fallback'], note?: string): Promise<void> => {
    const f: Following<M> = {
      run,
      place,
      delivery,
      tracker,
      startedAt: now(),
      showing: false,
      ended: false,
      status: { last: '', set: false, off: false },
      timers: [],
      ...(note ? { note } : {}),
      // A resumed run edits the progress message it had.
      ...(delivery.progress ? { progress: Promise.resolve(delivery.progress) } : {}),
    };
    following.set(run.id, f);
    const show = () => {
      if (f.showing || f.ended) return;
      f.showing = true;
      draw(f);
    };
    // The progress message appears one interval after the run starts: the parent already says the work
    // started, a run that ends sooner gets one final progress post, and a burst of commands is
    // acknowledged before its follow-up posts are made.
    f.timers.push(setTimeout(show, interval));
    f.timers.push(setInterval(() => draw(f), tickMs));

    const work = (async () => {
      let report: Report | undefined;
      let failure: { code: string; message: string } | undefined;
      try {
        report = await run.done;
      } catch (error) {
        if (isHandedBack(error)) {
          // This process is shutting down; the process that resumes the run delivers it.
          for (const timer of f.timers) clearTimeout(timer);
          f.ended = true;
          following.delete(run.id);
          return;
        }
        failure = asSynthError(error);
      }
      for (const timer of f.timers) clearTimeout(timer);
      const snapshot = tracker.snapshot();
      if (report && !snapshot.finished) {
        tracker.apply({ type: 'run-finished', runId: run.id, elapsedMs: report.timings.totalMs, reportId: report.id, claims: report.claims.length, qualityScore: report.qualityScore });
      }
      if (failure && !snapshot.failed) tracker.apply({ type: 'run-failed', runId: run.id, elapsedMs: Math.max(snapshot.elapsedMs, now() - f.startedAt), ...failure });
      // The progress message reaches its final state before the answer is posted under it.
      f.showing = true;
      draw(f);
      f.ended = true;
      await progress.flush(run.id);

      let outcome: RunOutcome | undefined;
      if (report) {
        const delivered = await deliverAnswer(run.id, place, report, run.origin.asker, delivery, fallback);
        if ('error' in delivered) failure = { code: 'internal', message: delivered.error };
        else outcome = delivered;
      }
      if (failure) {
        try {
          delivery.failure = await postFailure(place, run.id, failure.code, failure.message);
          delivery.step = 'failed';
          await record(run.id, delivery);
        } catch (error) {
          log.warn({ err: loggable(error), runId: run.id }, 'could not post the failure');
        }
        outcome = failure.code === 'cancelled' ? { kind: 'cancelled' } : { kind: 'failed' };
      }
      if (f.status.set && !f.status.off) await status.flush(run.id);
      await finalise(run.id, place, delivery, outcome, finish, f.status.set && !f.status.off);
      following.delete(run.id);
    })();
    track(work);
    return work;
  };

  const track = (work: Promise<unknown>) => {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    live.add(settled);
    void settled.then(() => live.delete(settled));
  };

  /** Launches a created run in its place and follows it; the tracker is fed from the first event. */
  const launchIn = async (runId: string, place: Place, delivery: Delivery, finish?: (outcome: RunOutcome) => Promise<void>, fallback?: Asking<M>['fallback'], note?: string) => {
    const tracker = createProgressTracker();
    let f: Following<M> | undefined;
    delivery.place = { ...place };
    delivery.step = 'running';
    await record(runId, delivery, place.thread ? { thread: place.thread } : undefined);
    // The thread remembers its run (the latest one in it), so follow-ups there find their papers.
    // A follow-up's report holds only the papers it used: the thread keeps the run it follows.
    const threadId = place.thread ?? place.replyTo;
    const isFollowUp = Boolean((await runner.get(runId))?.request.followUpOf);
    if (threadId && !isFollowUp) await core.stores.state.set(threadKey(place.channel, threadId), runId, THREAD_TTL_MS).catch((error: unknown) => log.warn({ err: loggable(error), runId }, 'could not remember the thread of a run'));
    const run = runner.launch(runId, (event: ProgressEvent) => {
      tracker.apply(event);
      f ??= following.get(event.runId);
      if (f) draw(f);
    });
    void follow(run, place, tracker, delivery, finish, fallback, note);
    return run;
  };

  /** The parent's final form, with the outcome, where the bot posted it. */
  const parentEditor = (question: string, asker: string, parent: Delivery['parent'], asking?: Asking<M>) => async (outcome: RunOutcome) => {
    if (!parent?.own) return;
    const message = render.parent({ question, asker, outcome });
    const ref = { channel: parent.channel, id: parent.id };
    await (asking?.parent ? asking.parent.edit(ref, message) : transport.edit(ref, message, 'background'));
  };

  const conversation: Conversation<M> = {
    admit(asker, question, requestOptions = {}) {
      try {
        return { admission: runner.admit({ ...requestOptions, question }, { platform: platform.name, asker }) };
      } catch (error) {
        return { refusal: refusalText(error) };
      }
    },

    async ask(admission, asking) {
      const asker = admission.asker;
      const question = admission.request.question;
      const channelPlace: Place = { channel: asking.channel, ...(asking.thread ? { thread: asking.thread } : {}) };
      const origin: RunOrigin = {
        platform: platform.name,
        asker,
        channel: asking.channel,
        ...(asking.message ? { message: asking.message } : {}),
        ...(asking.thread ? { thread: asking.thread } : {}),
        ...(asking.workspace ? { workspace: asking.workspace } : {}),
      };
      let runId: string;
      try {
        // The record exists before anything is posted: a crash from here on leaves something to recover.
        runId = await runner.create(admission, origin);
      } catch (error) {
        admission.release();
        await tellAsker(asking, channelPlace, asker, refusalText(error));
        return undefined;
      }
      const delivery: Delivery = { step: 'admitted' };
      const abandon = async (text: Words, outcome?: RunOutcome) => {
        await runner.cancel(runId).catch(() => undefined);
        if (outcome) await parentEditor(question, asker, delivery.parent, asking)(outcome).catch((e: unknown) => log.warn({ err: loggable(e) }, 'could not update the parent message'));
        else await tellAsker(asking, channelPlace, asker, text);
        delivery.step = 'finalised';
        await record(runId, delivery);
        await runner.release(runId).catch(() => undefined);
      };
      try {
        if (asking.message) delivery.parent = { channel: asking.channel, id: asking.message, own: false };
        else {
          const message = render.parent({ question, asker });
          const ref = asking.parent ? await asking.parent.post(message) : await transport.post(channelPlace, message, { priority: 'interactive', key: `${runId}:parent` });
          delivery.parent = { ...ref, own: true };
        }
      } catch (error) {
        log.warn({ err: loggable(error), channel: asking.channel }, 'could not post the parent message');
        await abandon(transport.explainFailure?.(error) ?? `I couldn't post in this channel (${asSynthError(error).message}).`);
        return undefined;
      }
      delivery.step = 'parent';
      await record(runId, delivery, { message: delivery.parent.id });
      let place: Place;
      if (asking.thread) place = { channel: asking.channel, thread: asking.thread };
      else if (transport.openThread) place = await transport.openThread(delivery.parent, question);
      else place = { channel: delivery.parent.channel, thread: delivery.parent.id };
      try {
        await launchIn(runId, place, delivery, parentEditor(question, asker, delivery.parent, asking), asking.fallback);
        return runId;
      } catch (error) {
        const text = refusalText(error);
        await abandon(text, delivery.parent.own ? { kind: 'refused', text } : undefined);
        return undefined;
      }
    },

    async retry(jobId, presser, click) {
      const tell = (words: Words) => click.tell(render.notice(words)).catch((error: unknown) => log.warn({ err: loggable(error) }, 'could not answer a click'));
      const record = await runner.get(jobId);
      const place = record && record.origin.platform === platform.name ? placeOf(record.origin) : undefined;
      if (!record || !place) {
        await tell('That run is no longer stored. Ask the question again.');
        return;
      }
      if (record.origin.asker !== presser) {
        await tell(['Only ', { user: record.origin.asker }, ', who asked, can retry this run. Ask the question yourself to get your own run.']);
        return;
      }
      let admission: Admission;
      try {
        admission = runner.admit(record.request, { platform: platform.name, asker: presser });
      } catch (error) {
        await tell(refusalText(error));
        return;
      }
      // Two quick clicks, or a click after a restart: one run.
      if (!(await claims.claim(`retry:${jobId}`))) {
        admission.release();
        await tell('This run has already been retried; the new run is in the thread.');
        return;
      }
      await click.replace?.(render.notice(['Retried by ', { user: presser }, '; a new run follows.'])).catch((error: unknown) => log.warn({ err: loggable(error) }, 'could not mark the failure as retried'));
      try {
        const runId = await runner.create(admission, { ...record.origin, asker: presser, retryOf: jobId });
        await launchIn(runId, place, { step: 'parent' });
      } catch (error) {
        admission.release();
        await claims.release(`retry:${jobId}`).catch(() => undefined);
        await tell(refusalText(error));
      }
    },

    async cancel(jobId, presser, cancelOptions = {}) {
      const record = await runner.get(jobId);
      if (!record) return 'That run is no longer stored.';
      if (record.origin.asker !== presser) return ['Only ', { user: record.origin.asker }, ', who asked, can cancel this run.'];
      if (cancelOptions.check) return runner.activeFor(presser, platform.name).includes(jobId) ? undefined : 'That run has already ended.';
      if (!(await runner.cancel(jobId))) return 'That run has already ended.';
      return undefined;
    },

    async inThread(asker, text, where) {
      const runId = await core.stores.state.get(threadKey(where.channel, where.thread));
      const record = typeof runId === 'string' ? await runner.get(runId) : undefined;
      if (!record || record.origin.platform !== platform.name) return 'not-ours';
      if (record.origin.workspace && where.workspace && record.origin.workspace !== where.workspace) return 'not-ours';
      if (isChitChat(text)) return 'ignored';
      // People discuss among themselves in the thread: a plain reply is for the bot when it asks.
      if (!where.mentioned && !parseThreadCommand(text) && !asksSomething(text)) return 'ignored';
      const place: Place = { channel: where.channel, thread: where.thread };
      const say = (words: Words) => transport.post(place, render.notice(words), { priority: 'interactive' }).then(() => undefined);
      const tellAuthor = async (words: Words) => {
        const message = render.notice(words);
        try {
          if (where.tell) await where.tell(message);
          else if (transport.ephemeral) await transport.ephemeral(place, asker, message);
          else await transport.post({ ...place, replyTo: where.message }, message, { priority: 'interactive' });
        } catch (error) {
          log.warn({ err: loggable(error) }, 'could not answer a message in a thread');
        }
      };
      const original = record.request;
      const report = record.reportId ? await runner.getReport(record.reportId) : undefined;
      const command = parseThreadCommand(text);
      if (command?.kind === 'explain') {
        const claim = report?.claims[command.claim - 1];
        if (!report) await tellAuthor('The report of this thread is no longer stored, so its claims cannot be explained. Ask the question again.');
        else if (!claim) await tellAuthor(`This report has ${report.claims.length} ${report.claims.length === 1 ? 'claim' : 'claims'}; there is no claim ${command.claim}.`);
        else if (render.evidence) await transport.post(place, render.evidence(report, claim), { priority: 'interactive' });
        else await say(`Claim ${command.claim}: ${claim.text} Quote: “${claim.quote}”`);
        return 'command';
      }
      if (command?.kind === 'add') {
        if (!report) {
          await tellAuthor('The report of this thread is no longer stored, so a paper cannot be added to it. Ask the question again.');
          return 'command';
        }
        const id = parsePaperId(command.id);
        const already = id ? findReference(report, id) : undefined;
        if (already) {
          await say(`That paper is already in this thread's report, as [${already.number}] ${already.reference.title.replace(/[.\s]+$/, '')}.`);
          return 'command';
        }
        const admitted = conversation.admit(asker, original.question, { addTo: { of: report.id, id: command.id } });
        if ('refusal' in admitted) {
          await tellAuthor(admitted.refusal);
          return 'refused';
        }
        await conversation.ask(admitted.admission, { channel: where.channel, thread: where.thread, message: where.message, ...(where.workspace ? { workspace: where.workspace } : {}), ...(where.tell ? { tell: where.tell } : {}) });
        return 'command';
      }
      let request: Omit<RunRequest, 'question'>;
      let question: string;
      if (command?.kind === 'since' || command?.kind === 'more') {
        // The original question again, refined, in the same thread.
        question = original.question;
        const revisionOf = { of: report?.id ?? record.id, refinement: command.kind === 'since' ? `since ${command.year}` : 'more papers' };
        request =
          command.kind === 'since'
            ? { ...withoutFollowUp(original), yearFrom: command.year, revisionOf }
            : { ...withoutFollowUp(original), maxPapers: Math.min(100, (original.maxPapers ?? 20) * 2), revisionOf };
      } else if (report) {
        question = text;
        request = { followUpOf: report.id };
      } else {
        // The run of this thread has no report (it failed): the message is a question of its own.
        question = text;
        request = {};
      }
      const admitted = conversation.admit(asker, question, request);
      if ('refusal' in admitted) {
        await tellAuthor(admitted.refusal);
        return 'refused';
      }
      await conversation.ask(admitted.admission, { channel: where.channel, thread: where.thread, message: where.message, ...(where.workspace ? { workspace: where.workspace } : {}), ...(where.tell ? { tell: where.tell } : {}) });
      return command ? 'command' : 'follow-up';
    },

    flag(reportId, claimId, presser, reason) {
      return onReport(reportId, async () => {
        const report = await runner.getReport(reportId);
        if (!report) return 'This report is no longer stored, so its claims cannot be flagged.';
        const number = report.claims.findIndex((c) => c.id === claimId) + 1;
        if (number === 0) return 'That claim is not in this report.';
        // Stored as the report's other text is: mention syntax made inert, controls removed.
        const text = reason && cleanText(reason) ? cleanText(reason).slice(0, 1000) : undefined;
        const { report: updated, flag } = await flagClaim(report, claimId, { by: presser, platform: platform.name, at: new Date(now()).toISOString(), ...(text ? { reason: text } : {}) }, { engine: core.runtime.engine, log });
        await core.stores.reports.set(reportId, updated);
        const found = await whereIs(reportId);
        const reverified = describeReverification(flag, threadPapers(updated).length);
        if (found) {
          await transport
            .post(found.place, render.notice([`Claim ${number} was flagged by `, { user: presser }, text ? `: “${text}”. ` : '. ', reverified]), { priority: 'interactive' })
            .catch((error: unknown) => log.warn({ err: loggable(error), reportId }, 'could not post a flag in the thread'));
          if (found.answer) {
            await transport.edit(found.answer, render.answer(updated, { asker: found.asker }), 'background').catch((error: unknown) => log.warn({ err: loggable(error), reportId }, 'could not redraw a flagged answer'));
          }
        }
        return `Thanks: claim ${number} is flagged. ${reverified}`;
      });
    },

    vote(reportId, presser, vote) {
      return onReport(reportId, async () => {
        const report = await runner.getReport(reportId);
        if (!report) return 'This report is no longer stored.';
        const updated = voteOnAnswer(report, { by: presser, platform: platform.name, at: new Date(now()).toISOString(), vote });
        await core.stores.reports.set(reportId, updated);
        const ups = (updated.feedback ?? []).filter((f) => f.vote === 'up').length;
        return `Thanks for the feedback (${ups} 👍, ${(updated.feedback ?? []).length - ups} 👎 so far).`;
      });
    },

    async evidence(reportId, claimId) {
      const report = await runner.getReport(reportId);
      const claim = report?.claims.find((c) => c.id === claimId);
      return report && claim ? { report, claim } : undefined;
    },

    async resume(jobs) {
      for (const job of jobs) {
        if (job.origin.platform !== platform.name) continue;
        const delivery: Delivery = job.delivery ? { ...job.delivery } : { step: 'running' };
        try {
          if (!delivery.parent && job.origin.channel) {
            // Stopped while posting the parent: the message that asked, or the parent if it was posted after all.
            if (job.origin.message) delivery.parent = { channel: job.origin.channel, id: job.origin.message, own: false };
            else if (transport.find) {
              const found = await transport.find({ channel: job.origin.channel }, `${job.id}:parent`).catch(() => undefined);
              if (found) delivery.parent = { ...found, own: true };
            }
          }
          let place = delivery.place ?? (delivery.parent ? undefined : placeOf(job.origin));
          if (!place && delivery.parent) place = transport.openThread ? await transport.openThread(delivery.parent, job.request.question) : { channel: delivery.parent.channel, thread: delivery.parent.id };
          if (!place) {
            // Stopped before anything was posted: nothing to tell, nowhere to tell it.
            await finalise(job.id, { channel: job.origin.channel ?? '' }, delivery, undefined);
            continue;
          }
          delivery.place = place;
          if (!isFinished(job.status)) {
            // Still going when its process stopped: resumed from its last finished stage, in the same
            // thread, its progress message edited on (found by its key if its step was not recorded).
            if (!delivery.progress && transport.find) delivery.progress = await transport.find(place, `${job.id}:progress`).catch(() => undefined);
            await launchIn(job.id, place, delivery, parentEditor(job.request.question, job.origin.asker, delivery.parent), undefined, RESUMED_NOTE);
            continue;
          }
          const tracker = createProgressTracker();
          const report = job.status === 'succeeded' && job.reportId ? await runner.getReport(job.reportId) : undefined;
          let outcome: RunOutcome | undefined;
          let undelivered: string | undefined;
          if (report) {
            tracker.apply({ type: 'run-finished', runId: job.id, elapsedMs: report.timings.totalMs, reportId: report.id, claims: report.claims.length, qualityScore: report.qualityScore });
            const delivered = await deliverAnswer(job.id, place, report, job.origin.asker, delivery, undefined, true);
            if ('error' in delivered) undelivered = delivered.error;
            else outcome = delivered;
          }
          if (!outcome) {
            const error = undelivered ? { code: 'internal', message: undelivered } : (job.error ?? { code: 'interrupted', message: '' });
            tracker.apply({ type: 'run-failed', runId: job.id, elapsedMs: 0, ...error });
            if (!delivery.failure) {
              delivery.failure = await postFailure(place, job.id, error.code, error.message);
              delivery.step = 'failed';
              await record(job.id, delivery);
            }
            outcome = error.code === 'cancelled' ? { kind: 'cancelled' } : { kind: 'failed' };
          }
          // A progress message posted just before the crash, before its step was recorded.
          if (!delivery.progress && transport.find) delivery.progress = await transport.find(place, `${job.id}:progress`).catch(() => undefined);
          if (delivery.progress) {
            const ref = delivery.progress;
            await transport.edit(ref, render.progress(tracker.snapshot(), { runId: job.id }), 'background').catch((error: unknown) => log.warn({ err: loggable(error), runId: job.id }, 'could not finalise the progress message'));
          }
          await finalise(job.id, place, delivery, outcome, parentEditor(job.request.question, job.origin.asker, delivery.parent), true);
        } catch (error) {
          log.warn({ err: loggable(error), runId: job.id }, 'could not resume the delivery of a run');
        }
      }
    },

    track,

    async settled() {
      while (live.size > 0) await Promise.allSettled([...live]);
    },

    close() {
      progress.close();
      status.close();
      for (const f of following.values()) for (const timer of f.timers) clearTimeout(timer);
    },
  };
  return conversation;
}
