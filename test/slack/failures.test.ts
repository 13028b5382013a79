import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import { buttonValue, messageProblems } from './assertions.js';
import { SECRETS, startSlackHarness, type Harness } from './harness.js';
import { makeReport, scriptedSynthesize } from './scripted.js';

const ALLOWED = ['U0ASKER', 'UBOT', 'U0BUSY', 'U0OTHER'];

/** Fails the first run with `all_sources_failed`, then succeeds. */
function failOnce(): Synthesize & { calls: number } {
  const failing = scriptedSynthesize({ fail: { code: 'all_sources_failed', message: 'Every source failed: openalex (HTTP 503), corpus <!channel> (unreadable).' } });
  const working = scriptedSynthesize({ report: (id) => makeReport({ id }) });
  const fn = ((request, options) => (fn.calls++ === 0 ? failing(request, options) : working(request, options))) as Synthesize & { calls: number };
  fn.calls = 0;
  return fn;
}

describe('a failed run', () => {
  let h: Harness;
  const synth = failOnce();
  beforeAll(async () => {
    h = await startSlackHarness({ synthesize: synth });
  });
  afterAll(async () => {
    await h.close();
  });

  it('posts the reason with a Retry button; only the asker may retry, and a double click runs again once, in the same thread', async () => {
    await h.command('Does it work?');
    await h.adapter.settled();
    const failure = [...h.fake.messages.values()].find((m) => m.text.startsWith('The run failed'))!;
    expect(failure.text).toContain('Every literature source failed');
    expect(failure.text).toContain('corpus @channel (unreadable)');
    const retry = buttonValue(failure.blocks, 'run_retry')!;
    expect(retry).toMatch(/^[0-9a-f-]{36}$/);
    const progress = h.fake.thread('C0RESEARCH', failure.thread_ts!)[1]!;
    expect(progress.text).toMatch(/^:x: \*Failed\* after/);
    const parent = h.fake.messages.get(failure.thread_ts!)!;
    expect(parent.text).toContain(':warning: The run failed; see the thread.');

    const click = { actionId: 'run_retry', value: retry, channel: 'C0RESEARCH', messageTs: failure.ts, threadTs: failure.thread_ts! };
    // Somebody else's Retry would make a run that is theirs in the asker's thread: refused, privately.
    await h.click({ ...click, user: 'U0OTHER' });
    await h.adapter.settled();
    expect(synth.calls).toBe(1);
    expect(h.fake.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('Only <@U0ASKER>, who asked, can retry this run.') });
    await Promise.all([h.click({ ...click, user: 'U0ASKER' }), h.click({ ...click, user: 'U0ASKER' })]);
    await h.adapter.settled();
    expect(synth.calls).toBe(2);
    expect(failure.text).toBe('Retried by <@U0ASKER>; a new run follows.');
    expect(h.fake.responses.at(-1)!.body.text).toBe('This run has already been retried; the new run is in the thread.');
    const thread = h.fake.thread('C0RESEARCH', failure.thread_ts!);
    expect(thread.map((m) => m.text.split(' ')[0])).toEqual(['Researching:', ':x:', 'Retried', ':white_check_mark:', 'Answer:']);
    for (const call of h.fake.calls) if (call.args.blocks || call.args.text) expect(messageProblems(call.args, ALLOWED)).toEqual([]);
    expect(h.fake.problems).toEqual([]);
  });
});

describe('Slack refusing or throttling the bot', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({
      // Runs long enough (8 stages of 200 ms) for the progress message and the thread status to appear.
      synthesize: scriptedSynthesize({ stepMs: 200, report: (id) => makeReport({ id }) }),
      fake: { notMember: ['C0PRIVATE'] },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('tells the user, ephemerally, to /invite the bot when it is not in the channel', async () => {
    await h.command('Does it work?', { channel: 'C0PRIVATE' });
    await h.adapter.settled();
    expect(h.fake.responses).toHaveLength(1);
    expect(h.fake.responses[0]!.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(h.fake.responses[0]!.body.text)).toContain('/invite <@UBOT>');
    expect(h.core.runner.activeFor('U0ASKER')).toEqual([]);
    expect(h.fake.callsOf('chat.postMessage').filter((c) => c.error === 'not_in_channel')).toHaveLength(1);
  });

  it('waits out a 429 (Retry-After) and still answers', async () => {
    h.fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await h.command('Does it work?', { channel: 'C0LIMITED' });
    await h.adapter.settled();
    const posts = h.fake.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0LIMITED');
    expect(posts[0]!.status).toBe(429);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(posts.some((p) => String(p.args.text).startsWith('Answer'))).toBe(true);
  });

  it('goes on without a thread status where Slack refuses it, and stops asking', async () => {
    h.fake.failNext('assistant.threads.setStatus', { error: 'channel_not_found' });
    const before = h.fake.callsOf('assistant.threads.setStatus').length;
    await h.command('Does it work?', { channel: 'C0NOSTATUS' });
    await h.adapter.settled();
    expect(h.fake.callsOf('assistant.threads.setStatus').slice(before)).toHaveLength(1);
    expect(h.fake.callsOf('chat.postMessage').some((c) => c.args.channel === 'C0NOSTATUS' && String(c.args.text).startsWith('Answer'))).toBe(true);
  });
});

describe('progress edits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ synthesize: scriptedSynthesize({ stepMs: 100, verifySteps: 22, report: (id) => makeReport({ id }) }) });
  });
  afterAll(async () => {
    await h.close();
  });

  it('edits one progress message at most once a second and always writes the final state', async () => {
    await h.command('Does it work?');
    await h.adapter.settled();
    const progress = [...h.fake.messages.values()].find((m) => m.thread_ts && m.text.includes('Done'))!;
    const edits = h.fake.callsOf('chat.update').filter((c) => c.args.ts === progress.ts);
    const events = 3 * 8 + 22;
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThan(events / 4);
    for (let i = 1; i < edits.length; i++) expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(950);
    expect(JSON.stringify(edits.some((e) => JSON.stringify(e.args.blocks).includes('claim ') && JSON.stringify(e.args.blocks).includes(' of 22')))).toBe('true');
    expect(String(edits.at(-1)!.args.text)).toMatch(/Done/);
    expect(h.fake.thread('C0RESEARCH', progress.thread_ts!).filter((m) => m.text.includes('Working') || m.text.includes('Done'))).toHaveLength(1);
  });
});

describe('per-user limits and cancelling', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ synthesize: scriptedSynthesize({ stepMs: 400, report: (id) => makeReport({ id }) }) });
  });
  afterAll(async () => {
    await h.close();
  });

  it('tells a user with two runs going to wait, and lets only the asker cancel', async () => {
    await h.command('First question about vitamin D?', { user: 'U0BUSY', channel: 'C0A' });
    await h.command('Second question about vitamin D?', { user: 'U0BUSY', channel: 'C0B' });
    await h.fake.waitFor(() => h.core.runner.activeFor('U0BUSY').length === 2, 5000, 'two runs');
    const third = await h.command('Third question?', { user: 'U0BUSY', channel: 'C0C' });
    expect(JSON.parse(third.text)).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(third.text).text).toContain('You already have 2 synthesis runs in progress');
    await h.mention({ eventId: 'Ev0BUSY', channel: 'C0D', text: '<@UBOT> A fourth question?', ts: '1700000002.000100', user: 'U0BUSY' });
    await h.fake.waitFor(() => h.fake.callsOf('chat.postEphemeral').length === 1, 5000, 'the wait notice');
    expect(String(h.fake.callsOf('chat.postEphemeral')[0]!.args.text)).toContain('Wait for one to finish');

    await h.fake.waitFor(() => [...h.fake.messages.values()].filter((m) => m.text.includes('Working')).length === 2, 5000, 'progress messages');
    const progress = [...h.fake.messages.values()].find((m) => m.channel === 'C0A' && m.text.includes('Working'))!;
    const jobId = buttonValue(progress.blocks, 'run_cancel')!;
    await h.click({ actionId: 'run_cancel', value: jobId, channel: 'C0A', messageTs: progress.ts, threadTs: progress.thread_ts!, user: 'U0OTHER' });
    await h.fake.waitFor(() => h.fake.responses.length === 1, 5000, 'the refusal');
    expect(h.fake.responses[0]!.body).toMatchObject({ response_type: 'ephemeral', text: 'Only <@U0BUSY>, who asked, can cancel this run.' });
    // Cancel asks for confirmation in Slack's own dialog before the click arrives.
    expect(JSON.stringify(progress.blocks)).toContain('"confirm":{"title":{"type":"plain_text","text":"Cancel this run?"}');
    await h.click({ actionId: 'run_cancel', value: jobId, channel: 'C0A', messageTs: progress.ts, threadTs: progress.thread_ts!, user: 'U0BUSY' });
    await h.adapter.settled();
    expect(progress.text).toMatch(/^:no_entry_sign: \*Cancelled\*/);
    expect(h.fake.messages.get(progress.thread_ts!)!.text).toContain('Cancelled.');
    expect([...h.fake.messages.values()].some((m) => m.channel === 'C0B' && m.text.startsWith('Answer'))).toBe(true);
  });

  it('never writes a secret to the logs, even at trace level', () => {
    const logs = h.logs();
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).not.toContain(SECRETS.botToken);
    expect(logs).not.toContain(SECRETS.signingSecret);
    expect(logs).not.toMatch(/xox[bp]-/);
  });
});
