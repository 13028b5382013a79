/**
 * The chat contract: the rules of the shared conversation layer (adapters/shared/conversation.ts),
 * checked with the same scenarios on Slack and on Discord, each over its loopback fake with the real
 * adapter (Bolt, discord.js) and a real core running a scripted synthesize. The drivers
 * (./drivers.ts) act as users and read back what the bot sent; the scenarios know no platform.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { failureText } from '../../adapters/shared/texts.js';
import type { ErrorCode } from '../../src/errors.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { discordDriver, slackDriver, until, type Kind, type Msg, type Script, type Session, type ThreadRef, type Write } from './drivers.js';

const QUESTION = 'Does vitamin D reduce fracture risk?';
const LIMIT_TEXT = 'You already have 2 synthesis runs in progress. Wait for one to finish, then ask again.';
const HOSTILE = 'Does vitamin D <!channel> @everyone <@U123> **reduce** fracture risk?';

/** The first message of `kind` in the thread that satisfies `ok`, once there is one. */
const waitForMessage = (s: Session, ref: ThreadRef, kind: Kind, ok: (m: Msg) => boolean = () => true, timeoutMs?: number) =>
  until(`a ${kind} message in the thread`, () => s.thread(ref).find((m) => m.kind === kind && ok(m)), timeoutMs);

const successful = (writes: Write[]) => writes.filter((w) => w.status === 200);
const ofKind = (writes: Write[], kind: Kind) => successful(writes).filter((w) => w.view.kind === kind);

describe.each([slackDriver, discordDriver])('the chat contract on $name', (driver) => {
  const { asker, other, third } = driver.users;
  const open: Session[] = [];
  const shared: Stores[] = [];

  afterEach(async () => {
    for (const s of open.splice(0).reverse()) await s.close();
    for (const stores of shared.splice(0)) await stores.close();
  });

  const start = async (script: Script, stores?: Stores, leaseMs?: number) => {
    const s = await driver.start({ script, ...(stores ? { stores } : {}), ...(leaseMs !== undefined ? { leaseMs } : {}) });
    open.push(s);
    return s;
  };

  it('acks a question at once, then posts the parent, opens a thread, edits one progress message and answers there', async () => {
    const s = await start({ stepMs: 30 });
    const asked = await s.ask(QUESTION);
    expect(asked.ack).toMatchObject({ accepted: true, deferred: true });
    expect(asked.ack.refusal).toBeUndefined();
    expect(asked.ack.ms).toBeLessThan(3000);
    const ref = await asked.thread();
    await waitForMessage(s, ref, 'answer');
    await s.settled();

    // Parent, one progress message, the answer: in that order, all in the run's thread.
    const thread = s.thread(ref);
    expect(thread.map((m) => m.kind)).toEqual(['parent', 'progress', 'answer']);
    const [parent, progress] = thread as [Msg, Msg, Msg];
    expect(parent.text).toContain('reduce fracture risk');

    // One progress message, posted once and then edited in place; it offered Cancel while the run went on.
    const writes = s.writes();
    const progressWrites = writes.filter((w) => w.thread === ref.thread && w.view.kind === 'progress');
    expect(progressWrites.filter((w) => w.op === 'post')).toHaveLength(1);
    expect(progressWrites[0]!.op).toBe('post');
    for (const edit of progressWrites.slice(1)) expect(edit).toMatchObject({ op: 'edit', target: progress.id });
    expect(progressWrites.some((w) => w.view.progress === 'working' && w.view.cancel !== undefined)).toBe(true);

    // Done, it is one line without controls, and that final state was written before the answer was posted.
    expect(progress).toMatchObject({ progress: 'done', collapsed: true });
    expect(progress.cancel).toBeUndefined();
    const finalProgress = successful(progressWrites).at(-1)!;
    expect(finalProgress.view).toMatchObject({ progress: 'done', collapsed: true });
    const [answer, ...moreAnswers] = ofKind(writes, 'answer');
    expect(moreAnswers).toEqual([]);
    expect(answer!.thread).toBe(ref.thread);
    expect(finalProgress.seq).toBeLessThan(answer!.seq);
    // The parent came first, then the progress.
    const firstParent = ofKind(writes, 'parent')[0]!;
    expect(firstParent.seq).toBeLessThan(progressWrites[0]!.seq);

    // The answer mentions its asker, the one user it can notify.
    expect(answer!.view.text).toContain(s.mention(asker));
    expect(answer!.pings).toEqual({ users: [asker], roles: [], everyone: false });
    expect(s.synthCalls()).toBe(1);
    expect(s.problems()).toEqual([]);
  });

  it('lets only the asker cancel, after confirming; no answer follows and the progress and parent say cancelled', async () => {
    const s = await start({ stepMs: 400 });
    const ref = await (await s.ask(QUESTION)).thread();
    const progress = await waitForMessage(s, ref, 'progress', (m) => m.cancel !== undefined);
    const jobId = progress.cancel!;
    expect(s.core.runner.activeFor(asker)).toEqual([jobId]);

    // Somebody else is refused, privately, and the run goes on.
    await s.clickCancel(progress, other);
    const refusal = await until('the refusal', () => s.told(other).find((t) => t.includes('can cancel')));
    expect(refusal).toBe(`Only ${s.mention(asker)}, who asked, can cancel this run.`);
    expect(s.core.runner.activeFor(asker)).toEqual([jobId]);

    const { confirmation } = await s.clickCancel(progress, asker);
    expect(confirmation).toBe(true);
    await until('the run to end', () => s.core.runner.activeFor(asker).length === 0);
    await until('the parent to say cancelled', () => /cancelled/i.test(s.thread(ref)[0]!.text));
    await s.settled();

    expect(await s.core.runner.get(jobId)).toMatchObject({ status: 'cancelled' });
    const thread = s.thread(ref);
    expect(thread[0]!.kind).toBe('parent');
    expect(thread.filter((m) => m.kind === 'answer')).toEqual([]);
    expect(ofKind(s.writes(), 'answer')).toEqual([]);
    const after = thread.find((m) => m.id === progress.id)!;
    expect(after.cancel).toBeUndefined();
    expect(after.progress).not.toBe('working');
    expect(after.text).toMatch(/cancelled/i);
    expect(s.synthCalls()).toBe(1);
    expect(s.problems()).toEqual([]);
  });

  it('posts a failure with Retry; refuses another user’s Retry; a double click by the asker starts one run, answered in the same thread', async () => {
    const s = await start({ stepMs: 20, fail: (n) => (n === 1 ? { code: 'all_sources_failed', message: 'openalex: timeout' } : undefined) });
    const ref = await (await s.ask(QUESTION)).thread();
    const failure = await waitForMessage(s, ref, 'failure');
    await s.settled();
    expect(failure.text).toMatch(/^(?:The run failed|\*\*The run failed\.\*\*)/);
    expect(failure.retry).toBeDefined();
    expect(await s.core.runner.get(failure.retry!)).toMatchObject({ status: 'failed', error: { code: 'all_sources_failed' } });
    expect(s.synthCalls()).toBe(1);

    await s.clickRetry(failure, other);
    const refusal = await until('the refusal', () => s.told(other).find((t) => t.includes('can retry')));
    expect(refusal.startsWith(`Only ${s.mention(asker)}, who asked, can retry this run.`)).toBe(true);
    await s.settled();
    expect(s.synthCalls()).toBe(1);

    await Promise.all([s.clickRetry(failure, asker), s.clickRetry(failure, asker)]);
    const second = await until('the second click’s answer', () => s.told(asker).find((t) => t.includes('already been retried')));
    expect(second).toBe('This run has already been retried; the new run is in the thread.');
    await waitForMessage(s, ref, 'answer');
    await s.settled();
    expect(s.synthCalls()).toBe(2);

    const thread = s.thread(ref);
    // The failure no longer offers Retry; one new progress message and one answer follow it, in this thread.
    expect(thread.find((m) => m.id === failure.id)!.retry).toBeUndefined();
    expect(thread.filter((m) => m.kind === 'answer')).toHaveLength(1);
    expect(thread.filter((m) => m.kind === 'progress').map((m) => m.progress)).toEqual(['failed', 'done']);
    const answers = ofKind(s.writes(), 'answer');
    expect(answers.map((w) => w.thread)).toEqual([ref.thread]);
    expect(answers[0]!.pings.users).toEqual([asker]);
    expect(s.problems()).toEqual([]);
  });

  it('words failures with the shared table’s sentences', async () => {
    const failures: { code: ErrorCode; message: string }[] = [
      { code: 'all_sources_failed', message: 'openalex: timeout' },
      // A message the reason already says adds nothing: the sentence stands alone.
      { code: 'source_timeout', message: 'A literature source took too long' },
      { code: 'engine', message: 'model unavailable' },
    ];
    const s = await start({ stepMs: 5, fail: (n) => failures[n - 1] });
    const reasons: string[] = [];
    for (const [i, f] of failures.entries()) {
      const ref = await (await s.ask(`${QUESTION} (${i + 1})`)).thread();
      const failure = await waitForMessage(s, ref, 'failure');
      // Its Retry is for the run that failed with this code.
      expect(await s.core.runner.get(failure.retry!)).toMatchObject({ status: 'failed', error: { code: f.code } });
      reasons.push(failure.reason!);
    }
    expect(reasons).toEqual(failures.map((f) => failureText(f.code, f.message)));
    expect(reasons[0]).toBe('Every literature source failed, so there was nothing to synthesize. openalex: timeout');
    expect(reasons[1]).toBe('A literature source took too long to answer.');
    await s.settled();
    expect(s.problems()).toEqual([]);
  });

  /** Starts a run, then crashes its process once the store knows the run's progress message. */
  const crashMidRun = async () => {
    const stores = await createStores('memory://');
    shared.push(stores);
    // The first process's runs are leased briefly, so the second may take them over soon after it dies.
    const first = await start({ stepMs: 60_000 }, stores, 100);
    const ref = await (await first.ask(QUESTION)).thread();
    const progress = await waitForMessage(first, ref, 'progress', (m) => m.cancel !== undefined);
    const jobId = progress.cancel!;
    // Dying between the post and its record is a window the store cannot close (found by key on Slack).
    for (let waited = 0; !(await stores.jobs.get(jobId))?.delivery?.progress; waited += 10) {
      if (waited > 5000) throw new Error('the progress message was never recorded');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await stores.jobs.get(jobId)).toMatchObject({ status: 'running' });
    const second = await first.crashAndRestart({ stepMs: 5 });
    open.push(second);
    return { stores, ref, progress, jobId, second };
  };

  it('after a restart over the same stores, resumes the run in its thread and answers it once', async () => {
    const { ref, progress, jobId, second } = await crashMidRun();
    const taken = await second.announceInterrupted();
    expect(taken.map((j) => j.id)).toEqual([jobId]);
    await waitForMessage(second, ref, 'answer');
    await second.settled();
    expect(second.synthCalls()).toBe(1);
    const answers = ofKind(second.writes(), 'answer');
    expect(answers.map((w) => w.thread)).toEqual([ref.thread]);
    expect(answers[0]!.pings.users).toEqual([asker]);
    expect(ofKind(second.writes(), 'failure')).toEqual([]);
    // The same progress message carried on to its final state: no second one, no Cancel left.
    const progresses = second.thread(ref).filter((m) => m.kind === 'progress');
    expect(progresses.map((m) => m.id)).toEqual([progress.id]);
    expect(progresses[0]!.cancel).toBeUndefined();
    expect(second.problems()).toEqual([]);
  });

  it('after a run was resumed too often, tells its thread it was interrupted, with a Retry that runs it there again', async () => {
    const { stores, ref, progress, jobId, second } = await crashMidRun();
    // This run has been resumed twice already (the default limit): it may be what stops the bot.
    await stores.jobs.set(jobId, { ...(await stores.jobs.get(jobId))!, resumes: 2 });
    const interrupted = await second.announceInterrupted();
    expect(interrupted.map((j) => j.id)).toEqual([jobId]);
    const notice = await waitForMessage(second, ref, 'failure');
    expect(notice.reason).toBe('The bot restarted while this run was in progress. It was interrupted 3 times, so it was not resumed again.');
    expect(notice.retry).toBe(jobId);
    expect(ofKind(second.writes(), 'failure').map((w) => w.thread)).toEqual([ref.thread]);
    // The dead run's progress message offers no Cancel any more, nor says it is working.
    const stale = second.thread(ref).find((m) => m.id === progress.id)!;
    expect(stale).toMatchObject({ kind: 'progress' });
    expect(stale.cancel).toBeUndefined();
    expect(stale.progress).not.toBe('working');

    await second.clickRetry(notice, asker);
    await waitForMessage(second, ref, 'answer');
    await second.settled();
    expect(second.synthCalls()).toBe(1);
    const answers = ofKind(second.writes(), 'answer');
    expect(answers.map((w) => w.thread)).toEqual([ref.thread]);
    expect(answers[0]!.pings.users).toEqual([asker]);
    expect(second.problems()).toEqual([]);
  });

  it('refuses a third concurrent question from one user privately, and limits nobody else', async () => {
    const s = await start({ stepMs: 100 });
    const firstTwo = [await s.ask(`${QUESTION} (1)`), await s.ask(`${QUESTION} (2)`)];
    expect(firstTwo.map((a) => a.ack.accepted)).toEqual([true, true]);
    const third = await s.ask(`${QUESTION} (3)`);
    expect(third.ack).toMatchObject({ accepted: false, refusal: LIMIT_TEXT });
    expect(s.told(asker)).toEqual([LIMIT_TEXT]);
    const fromOther = await s.ask(`${QUESTION} (another user)`, other);
    expect(fromOther.ack.accepted).toBe(true);
    expect(s.told(other)).toEqual([]);

    for (const asked of [...firstTwo, fromOther]) await waitForMessage(s, await asked.thread(), 'answer');
    await s.settled();
    expect(s.synthCalls()).toBe(3);
    // The refused question posted nothing: three parents, three answers.
    expect(new Set(ofKind(s.writes(), 'parent').map((w) => w.thread)).size).toBe(3);
    expect(ofKind(s.writes(), 'answer')).toHaveLength(3);

    // Once the runs have ended the asker may ask again: the refusal took no place in the limit.
    const again = await s.ask(`${QUESTION} (4)`);
    expect(again.ack.accepted).toBe(true);
    await waitForMessage(s, await again.thread(), 'answer');
    await s.settled();
    expect(s.problems()).toEqual([]);
  });

  it('never lets hostile question text ping anyone: only the asker can be notified, and the answer does', async () => {
    // The brief's hostile text, plus a platform-native mention of somebody who takes no part.
    const question = `${HOSTILE} <@${third}> @here`;
    const s = await start({ stepMs: 10, fail: (n) => (n === 1 ? { code: 'all_sources_failed', message: `nothing found for: ${question}` } : undefined) });
    const ref = await (await s.ask(question)).thread();
    // A failure that quotes the question, another user's refused Retry, the asker's Retry and the answer.
    const failure = await waitForMessage(s, ref, 'failure');
    await s.clickRetry(failure, other);
    await until('the refusal', () => s.told(other).find((t) => t.includes('can retry')));
    await s.clickRetry(failure, asker);
    await waitForMessage(s, ref, 'answer');
    await s.settled();

    const writes = s.writes();
    expect(writes.length).toBeGreaterThan(5);
    for (const w of writes) {
      expect(w.pings, `${w.op} ${w.view.kind}: ${w.view.text}`).toMatchObject({ everyone: false, roles: [] });
      expect(w.pings.users.filter((u) => u !== asker), `${w.op} ${w.view.kind}: ${w.view.text}`).toEqual([]);
    }
    const answers = ofKind(writes, 'answer');
    expect(answers).toHaveLength(1);
    expect(answers[0]!.pings.users).toEqual([asker]);
    // The question is still shown, inert.
    expect(s.thread(ref)[0]!.text).toMatch(/reduce/);
    expect(s.problems()).toEqual([]);
  });

  it('waits out a 429 on a progress edit and still ends with the final progress and the answer', async () => {
    const s = await start({ stepMs: 100 });
    const ref = await (await s.ask(QUESTION)).thread();
    const progress = await waitForMessage(s, ref, 'progress');
    s.rateLimitNextProgressEdit(1);
    await waitForMessage(s, ref, 'answer', undefined, 15_000);
    await s.settled();

    const writes = s.writes();
    const edits = writes.filter((w) => w.target === progress.id);
    const limited = edits.findIndex((w) => w.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    // The next edit waited for Retry-After.
    const next = edits[limited + 1]!;
    expect(next.at - edits[limited]!.at).toBeGreaterThanOrEqual(900);
    const finalEdit = successful(edits).at(-1)!;
    expect(finalEdit.view).toMatchObject({ progress: 'done', collapsed: true });
    const answers = ofKind(writes, 'answer');
    expect(answers).toHaveLength(1);
    expect(finalEdit.seq).toBeLessThan(answers[0]!.seq);
    expect(s.thread(ref).find((m) => m.id === progress.id)).toMatchObject({ progress: 'done', collapsed: true });
    expect(s.problems()).toEqual([]);
  });
});
