/**
 * Follow-ups in a run's thread, on both platforms over their fakes, with the real pipeline over a
 * small corpus: a follow-up is answered in the thread from the run's own papers (its citations a subset
 * of the run's references), "explain claim 1" posts the claim's quote and evidence, chit-chat and the
 * bot's own messages are left alone, a thread the bot did not start is not its business, and a restart
 * between the answer and the follow-up loses nothing (the thread is remembered in the store).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createRuntime } from '../../src/runtime.js';
import type { Stores } from '../../src/store/store.js';
import { reports, useOpened } from './stores.js';
import { startHarness as startDiscord, type Harness as DiscordHarness } from '../discord/harness.js';
import { startSlackHarness, SECRETS, type Harness as SlackHarness } from '../slack/harness.js';
import { messageEventBody, postSigned } from '../slack/slack-requests.js';

const CORPUS = fileURLToPath(new URL('../fixtures/corpus/exercise.jsonl', import.meta.url));
/** A second topic in the configured corpus, outside the thread's papers: a follow-up about it needs a wider search. */
const CODE_CORPUS = fileURLToPath(new URL('../fixtures/corpus/code-llm.jsonl', import.meta.url));
const WIDER = 'Do large language models generate correct code on programming benchmarks?';
const QUESTION = 'Does exercise reduce depressive symptoms in adults?';

const { open, sharedStores } = useOpened();


describe('Slack: follow-ups in a run thread', () => {
  const slack = async (stores: Stores) => {
    const h = await startSlackHarness({ corpus: [CORPUS, CODE_CORPUS], stores });
    open.push(h);
    return h;
  };
  const isAnswer = (m: { blocks?: Record<string, unknown>[] }) => (m.blocks?.[0] as { type?: string } | undefined)?.type === 'header';
  let ts = 1_700_000_100;
  const nextTs = () => `${++ts}.000100`;
  const say = (h: SlackHarness, fields: { text: string; threadTs: string; botId?: string; user?: string; channel?: string }) =>
    postSigned(h.url, messageEventBody({ eventId: `EvMsg${ts}`, channel: fields.channel ?? 'C0RESEARCH', user: fields.user ?? 'U0ASKER', text: fields.text, ts: nextTs(), threadTs: fields.threadTs, ...(fields.botId ? { botId: fields.botId } : {}) }), {
      secret: SECRETS.signingSecret,
      contentType: 'application/json',
    });

  it('answers a follow-up from the thread’s papers, explains a claim, ignores chit-chat and bots, and survives a restart', async () => {
    const stores = await sharedStores();
    const h = await slack(stores);
    await h.command(QUESTION);
    await h.adapter.settled();
    const parent = [...h.fake.messages.values()].find((m) => m.text.startsWith('Researching:'))!;
    const original = (await reports(stores))[0]!;
    expect(original.references.every((r) => typeof r.abstract === 'string')).toBe(true);
    const thread = () => h.fake.thread('C0RESEARCH', parent.ts);

    // A mention in the thread is a follow-up, answered there from the run's papers.
    await h.mention({ eventId: 'EvFollow1', channel: 'C0RESEARCH', text: '<@UBOT> what about in older adults?', ts: nextTs(), threadTs: parent.ts });
    await h.adapter.settled();
    expect(h.fake.messages.size).toBeGreaterThan(0);
    const answers = thread().filter(isAnswer);
    expect(answers).toHaveLength(2);
    const followUp = (await reports(stores)).find((r) => r.followUp)!;
    expect(followUp.followUp).toMatchObject({ of: original.id, question: 'what about in older adults?' });
    if (followUp.followUp!.scope === 'thread') {
      const known = new Set(original.references.map((r) => r.id));
      expect(followUp.references.every((r) => known.has(r.id))).toBe(true);
    }
    expect(JSON.stringify(answers[1]!.blocks)).toContain('Follow-up “what about in older adults?”');
    // No second parent in the channel: the follow-up lives in the thread.
    expect([...h.fake.messages.values()].filter((m) => m.text.startsWith('Researching:'))).toHaveLength(1);

    // "explain claim 1": the claim's verbatim quote and its evidence, in the thread.
    const before = thread().length;
    await h.mention({ eventId: 'EvExplain', channel: 'C0RESEARCH', text: '<@UBOT> explain claim 1', ts: nextTs(), threadTs: parent.ts });
    await h.adapter.settled();
    const explained = thread().slice(before);
    expect(explained).toHaveLength(1);
    expect(JSON.stringify(explained[0]!.blocks)).toContain('*Claim 1*');
    expect(JSON.stringify(explained[0]!.blocks)).toMatch(/[Vv]erbatim/);

    // A follow-up the thread's papers cannot answer widens the search (the configured corpus), and says so.
    await h.mention({ eventId: 'EvWider', channel: 'C0RESEARCH', text: `<@UBOT> ${WIDER}`, ts: nextTs(), threadTs: parent.ts });
    await h.adapter.settled();
    const widened = (await reports(stores)).find((r) => r.followUp?.question === WIDER)!;
    expect(widened.followUp!.scope).toBe('widened');
    expect(widened.references.some((r) => !original.references.some((o) => o.id === r.id))).toBe(true);
    expect(JSON.stringify(thread().filter(isAnswer).at(-1)!.blocks)).toContain('the papers of this thread did not answer it, so the search was widened');

    // "since 2020": the original question again, refined, in the same thread, marked as a revision.
    await h.mention({ eventId: 'EvSince', channel: 'C0RESEARCH', text: '<@UBOT> since 2020', ts: nextTs(), threadTs: parent.ts });
    await h.adapter.settled();
    const revised = thread().filter(isAnswer);
    expect(revised).toHaveLength(4);
    expect(JSON.stringify(revised[3]!.blocks)).toContain('Revision of this thread’s question (since 2020)'.replace('’', "'"));
    const revision = (await reports(stores)).find((r) => r.revision)!;
    expect(revision.revision).toEqual({ of: original.id, refinement: 'since 2020' });
    expect(revision.references.every((r) => r.year === undefined || r.year >= 2020)).toBe(true);

    // Chit-chat, people talking among themselves, and the bot's own messages are left alone.
    const quiet = h.fake.calls.length;
    await say(h, { text: 'thanks!', threadTs: parent.ts });
    await say(h, { text: 'I think the second trial was small', threadTs: parent.ts, user: 'U0OTHER' });
    await say(h, { text: 'What about children?', threadTs: parent.ts, botId: 'B0FAKE', user: 'UBOT' });
    await h.adapter.settled();
    expect(h.fake.calls.slice(quiet).filter((c) => c.method.startsWith('chat.'))).toEqual([]);

    // A restart between the answer and the next follow-up: a new adapter and core over the same store
    // (nothing of the thread is in the first one's memory).
    const h2 = await slack(stores);
    await say(h2, { text: 'does it work for teenagers?', threadTs: parent.ts });
    await h2.adapter.settled();
    const third = [...h2.fake.messages.values()].filter((m) => m.thread_ts === parent.ts && isAnswer(m));
    expect(third).toHaveLength(1);
    expect((await reports(stores)).filter((r) => r.followUp)).toHaveLength(3);

    // A plain question in a thread the bot did not start is not its business.
    const calls = h2.fake.calls.length;
    await say(h2, { text: 'does it work?', threadTs: '1600000000.000001', channel: 'C0ELSEWHERE' });
    await h2.adapter.settled();
    expect(h2.fake.calls.slice(calls).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    expect([...h.fake.problems, ...h2.fake.problems]).toEqual([]);
  });
});

describe('Discord: follow-ups in a run thread', () => {
  const discord = async (stores: Stores) => {
    const config = loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none' });
    const runtime = createRuntime(config, silentLogger, { corpus: [CORPUS, CODE_CORPUS], offline: true });
    const h: DiscordHarness = await startDiscord({ runtime, stores });
    open.push(h);
    return h;
  };
  const isAnswer = (r: { route: string; body?: Record<string, unknown> }) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body!.embeds as { title?: string }[]).some((e) => e.title?.startsWith('Evidence synthesis'));

  it('answers a mention in the run thread as a follow-up from its papers, explains a claim, and ignores chit-chat', async () => {
    const stores = await sharedStores();
    const h = await discord(stores);
    const interaction = h.fake.dispatchCommand({ question: QUESTION });
    await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    await h.adapter.settled();
    const threadId = interaction.originalId!;
    const original = (await reports(stores))[0]!;
    const bot = h.fake.botUser.id;

    h.fake.dispatchMessage({ content: `<@${bot}> what about in older adults?`, channelId: threadId });
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === 2, 20_000);
    await h.adapter.settled();
    const followUp = (await reports(stores)).find((r) => r.followUp)!;
    expect(followUp.followUp).toMatchObject({ of: original.id });
    if (followUp.followUp!.scope === 'thread') {
      const known = new Set(original.references.map((r) => r.id));
      expect(followUp.references.every((r) => known.has(r.id))).toBe(true);
    }
    const second = h.fake.requests.filter(isAnswer)[1]!;
    expect(second.path).toBe(`/channels/${threadId}/messages`);
    expect(String(second.body!.content)).toContain('Follow-up “what about in older adults?”');
    // No new thread was opened for it.
    expect(h.fake.calls('POST /channels/:id/messages/:id/threads')).toHaveLength(1);

    const before = h.fake.calls('POST /channels/:id/messages').length;
    h.fake.dispatchMessage({ content: `<@${bot}> explain claim 1`, channelId: threadId });
    const explained = await h.fake.waitFor(() => h.fake.calls('POST /channels/:id/messages').slice(before).find((r) => Array.isArray(r.body?.embeds)));
    expect((explained.body!.embeds as { title: string }[])[0]!.title).toMatch(/^Claim 1: /);

    // Beyond the thread's papers: the search is widened, and the answer says so.
    h.fake.dispatchMessage({ content: `<@${bot}> ${WIDER}`, channelId: threadId });
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === 3, 20_000);
    await h.adapter.settled();
    expect((await reports(stores)).find((r) => r.followUp?.question === WIDER)!.followUp!.scope).toBe('widened');
    expect(String(h.fake.requests.filter(isAnswer)[2]!.body!.content)).toContain('the search was widened');

    const quiet = h.fake.requests.length;
    h.fake.dispatchMessage({ content: `<@${bot}> thanks!`, channelId: threadId });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.adapter.settled();
    expect(h.fake.requests.slice(quiet).filter((r) => r.route.startsWith('POST /channels'))).toEqual([]);
    expect(h.fake.problems).toEqual([]);
  });
});
