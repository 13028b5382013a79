import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAdapter } from '../../adapters/slack/adapter.js';
import { loadSlackConfig } from '../../adapters/slack/config.js';
import { buttonValue, isAnswerMessage, messageProblems } from './assertions.js';
import { scopesFor } from './block-kit.js';
import type { FakeCall } from './fake-slack.js';
import { HOSTILE_CORPUS, SCIFACT, SECRETS, startSlackHarness, type Harness } from './harness.js';
import { makeReport, scriptedSynthesize } from './scripted.js';
import { buttonClickBody, postSigned } from './slack-requests.js';

const ALLOWED_USERS = ['U0ASKER', 'UBOT', 'U0OTHER'];
const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
};

/** Every message-bearing call is free of live mentions and unescaped text, and the scopes cover it. */
function expectCleanCalls(calls: FakeCall[]) {
  for (const call of calls) {
    if (['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(call.method)) {
      expect(messageProblems(call.args, ALLOWED_USERS), call.method).toEqual([]);
    }
    const needed = scopesFor(call.method);
    if (needed.length > 0) expect(needed.some((s) => manifest.oauth_config.scopes.bot.includes(s)), `${call.method} needs ${needed.join('|')}`).toBe(true);
  }
}

describe('/synthesize over the SciFact corpus and hostile papers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ corpus: [SCIFACT, HOSTILE_CORPUS] });
  });
  afterAll(async () => {
    await h.close();
  });

  it('acks at once, posts the parent, then works in its thread and answers there', async () => {
    const ack = await h.command('Does vitamin D <!channel> & <@U123> *reduce* fracture risk?');
    expect(ack.status).toBe(200);
    expect(ack.text).toBe('');
    await h.adapter.settled();
    expect(h.fake.callsOf('files.completeUploadExternal')).toHaveLength(1);

    const posts = h.fake.callsOf('chat.postMessage');
    const parent = posts[0]!;
    expect(parent.args.thread_ts).toBeUndefined();
    expect(parent.args.text).toBe('Researching: “Does vitamin D @channel &amp; @U123 *reduce* fracture risk?”, asked by <@U0ASKER>');
    const parentTs = h.fake.messages.get([...h.fake.messages.values()].find((m) => !m.thread_ts)!.ts)!.ts;
    const thread = h.fake.thread('C0RESEARCH', parentTs);
    // Parent, one progress message, the answer.
    expect(thread).toHaveLength(3);
    expect(posts.slice(1).every((p) => p.args.thread_ts === parentTs)).toBe(true);

    const progress = thread[1]!;
    expect(progress.text).toMatch(/^:white_check_mark: \*Done\* in \d+\.\d s: \d+ claims, quality [\d.]+\/10$/);
    // Done, the progress collapses to its one line; while running it listed the stages.
    expect(progress.blocks).toEqual([{ type: 'context', elements: [{ type: 'mrkdwn', text: progress.text, verbatim: true }] }]);
    const progressEdits = h.fake.callsOf('chat.update').filter((c) => c.args.ts === progress.ts);
    expect(progressEdits.length + h.fake.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === parentTs && String(c.args.text).includes('Working')).length).toBeGreaterThanOrEqual(1);

    const answer = thread[2]!;
    const blocks = answer.blocks!;
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(answer.text).toContain('@channel &amp; @U123');
    const json = JSON.stringify(blocks);
    // The header and the fallback text lead with the bottom line and its badge; the answer mentions the asker.
    const bottom = /^(?:✅ Yes|❌ No|⚖️ Mixed evidence|❔ Insufficient evidence) \((?:low|medium|high) confidence\)$/u;
    expect((blocks[0] as { text: { text: string } }).text.text).toMatch(bottom);
    expect(answer.text.split(' · ')[0]).toMatch(bottom);
    expect(answer.text).toContain('asked by <@U0ASKER>');
    expect((blocks[1] as { text: { text: string } }).text.text.startsWith('<@U0ASKER> ')).toBe(true);
    expect(json).toMatch(/\*Quality [\d.]+\/10\*/);
    // The claims section matches the report. (That this hostile question still yields claims is checked
    // in test/core/answer-quality.test.ts, where it currently fails: "@U123" becomes the exposure.)
    const claimCount = Number(/: (\d+) claims,/.exec(progress.text ?? '')?.[1]);
    expect(json).toContain(claimCount > 0 ? 'claim_toggle:0' : 'No claims could be extracted');
    // The hostile title is cited with its link, escaped, and its mention inert (its number depends on the answer).
    expect(json).toMatch(/<https:\/\/example\.org\/hostile-1\|\[\d+\] Vitamin D &amp; calcium @channel lower/);
    expect(json).not.toContain('evil.example');

    const markdown = [...h.fake.files.entries()].find(([name]) => name.endsWith('.md'))![1];
    expect(markdown).toMatch(/^# Evidence synthesis: Does vitamin D/);
    expect(markdown).toContain('## References');
    expect([...h.fake.files.keys()].some((name) => name.endsWith('.bib'))).toBe(true);
    const upload = h.fake.callsOf('files.completeUploadExternal')[0]!;
    expect(upload.args).toMatchObject({ channel_id: 'C0RESEARCH', thread_ts: parentTs });

    const statuses = h.fake.callsOf('assistant.threads.setStatus');
    expect(statuses[0]!.args).toMatchObject({ channel_id: 'C0RESEARCH', thread_ts: parentTs });
    expect(statuses.at(-1)!.args.status).toBe('');
    const parentEdit = h.fake.callsOf('chat.update').find((c) => c.args.ts === parentTs)!;
    expect(parentEdit.args.text).toContain(':white_check_mark: Answered in the thread');
    // The channel sees the outcome: the bottom line, then how many claims back it.
    expect(parentEdit.args.text).toMatch(/Answered in the thread: .*(?:Yes|No|Mixed evidence|Insufficient evidence|Not a yes\/no question).* · \d+ claims?, quality/);

    for (const call of [...posts, ...h.fake.callsOf('chat.update')]) expect(call.args).toMatchObject({ parse: 'none', link_names: 'false' });
    expectCleanCalls(h.fake.calls);
    expect(h.fake.problems).toEqual([]);
  });

  it('answers an empty command with the usage, ephemerally, and posts nothing', async () => {
    const before = h.fake.calls.length;
    const ack = await h.command('   ');
    expect(ack.status).toBe(200);
    expect(JSON.parse(ack.text)).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(ack.text).text).toContain('/synthesize Does vitamin D reduce fracture risk?');
    expect(h.fake.calls.length).toBe(before);
  });

  it('rejects a forged signature and a stale timestamp without starting anything', async () => {
    const before = h.fake.calls.length;
    const forged = await h.command('Does aspirin prevent stroke?', { signWith: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await h.command('Does aspirin prevent stroke?', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.fake.calls.length).toBe(before);
  });

  it('threads a run under an @mention, and a retried delivery (X-Slack-Retry-Num) starts nothing more', async () => {
    const before = h.fake.callsOf('chat.postMessage').length;
    const event = { eventId: 'Ev0MENTION1', channel: 'C0MENTION', text: '<@UBOT> Does vitamin D reduce fracture risk?', ts: '1700000000.000100' };
    expect((await h.mention(event)).status).toBe(200);
    expect((await h.mention({ ...event, retryNum: 1 })).status).toBe(200);
    expect((await h.mention({ ...event, retryNum: 2 })).status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0MENTION').length >= 2, 10_000, 'the answer');
    await h.adapter.settled();
    const posts = h.fake.callsOf('chat.postMessage').slice(before);
    // No parent of our own: the progress message and the answer both reply to the mention.
    expect(posts.map((p) => p.args.thread_ts)).toEqual([event.ts, event.ts]);
    expect(h.logs()).toContain('repeated app_mention ignored');
    expectCleanCalls(h.fake.calls);
  });

  it('replies inside the thread when mentioned in a thread', async () => {
    const event = { eventId: 'Ev0MENTION2', channel: 'C0MENTION2', text: 'so <@UBOT> does vitamin D reduce falls?', ts: '1700000001.000200', threadTs: '1700000000.000001' };
    await h.mention(event);
    await h.fake.waitFor(() => h.fake.callsOf('chat.postMessage').some((c) => c.args.channel === 'C0MENTION2' && isAnswerMessage(c.args)), 10_000, 'the answer');
    expect(h.fake.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0MENTION2').every((c) => c.args.thread_ts === event.threadTs)).toBe(true);
  });
});

describe('the answer message buttons', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSlackHarness({ synthesize: scriptedSynthesize({ report: (id) => makeReport({ id, claims: 20, hostile: true }) }) });
  });
  afterAll(async () => {
    await h.close();
  });

  const answerOf = () => h.fake.callsOf('chat.postMessage').find((c) => isAnswerMessage(c.args))!;
  const messageTs = () => [...h.fake.messages.values()].find((m) => isAnswerMessage(m))!.ts;
  const blocksNow = () => JSON.stringify(h.fake.messages.get(messageTs())!.blocks);
  const valueOf = (actionId: string) => buttonValue(h.fake.messages.get(messageTs())!.blocks, actionId)!;
  const click = async (actionId: string) => {
    const ts = messageTs();
    const edits = h.fake.messages.get(ts)!.edits;
    const thread = h.fake.messages.get(ts)!.thread_ts!;
    expect((await h.click({ actionId, value: valueOf(actionId), channel: 'C0RESEARCH', messageTs: ts, threadTs: thread })).status).toBe(200);
    await h.fake.waitFor(() => h.fake.messages.get(ts)!.edits > edits, 5000, `the edit after ${actionId}`);
  };

  /** Clicks and waits for the reply through the click's response URL. */
  const clickForReply = async (actionId: string, user = 'U0ASKER') => {
    const ts = messageTs();
    const before = h.fake.responses.length;
    expect((await h.click({ actionId, value: valueOf(actionId), channel: 'C0RESEARCH', messageTs: ts, threadTs: h.fake.messages.get(ts)!.thread_ts!, user })).status).toBe(200);
    await h.fake.waitFor(() => h.fake.responses.length > before, 5000, `the reply to ${actionId}`);
    return h.fake.responses.at(-1)!.body;
  };

  it("shows a claim's evidence to the person who asked for it only, and pages the claims in place", async () => {
    await h.command('Does it work?');
    await h.fake.waitFor(() => Boolean(answerOf()), 5000, 'the answer');
    expect(blocksNow()).toContain('All claims (20)');
    expect(blocksNow()).toContain('<@U0ASKER> ');
    const value = valueOf('claim_toggle:1');
    expect(value).toMatch(/^[0-9a-f-]{36}\|c2$/);
    // The button names its claim for screen readers.
    expect(blocksNow()).toMatch(/"accessibility_label":"Evidence for claim 2: [^"]{5,}"/);

    const shared = h.fake.messages.get(messageTs())!;
    const editsBefore = shared.edits;
    const reply = await clickForReply('claim_toggle:1', 'U0OTHER');
    expect(reply).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const evidence = JSON.stringify(reply.blocks);
    expect(evidence).toContain('*Claim 2*');
    expect(evidence).toContain('*Verbatim quote* from');
    expect(evidence).toContain('Evidence from other papers');
    expect(evidence).toMatch(/confidence \d\.\d\d\)/);
    // Nobody else's view changed.
    expect(h.fake.messages.get(messageTs())!.edits).toBe(editsBefore);
    expect(blocksNow()).not.toContain('Verbatim quote');

    await click('claims_page:all');
    expect(blocksNow()).toContain('*All claims* 1–8 of 20');
    await click('claims_page:next');
    expect(blocksNow()).toContain('*9.*');
    expect(blocksNow()).not.toContain('*1.*');
    expect(blocksNow()).toContain('Previous claims');
    expect(JSON.stringify((await clickForReply('claim_toggle:0')).blocks)).toContain('*Claim 9*');

    await click('claims_page:prev');
    await click('claims_page:prev');
    expect(blocksNow()).toContain('*Top claims* (3 of 20)');
    // The asker stays mentioned through every redraw.
    expect(blocksNow()).toContain('<@U0ASKER> ');
    // Replaced through the clicks' response URLs, not chat.update (whose budget the progress edits use).
    expect(h.fake.responses.filter((r) => r.body.replace_original === true)).toHaveLength(4);

    expectCleanCalls(h.fake.calls);
    expect(h.fake.problems).toEqual([]);
  });

  it('keeps working after a restart: a new adapter reads the report from the store', async () => {
    const second = createSlackAdapter(
      loadSlackConfig({ SLACK_BOT_TOKEN: SECRETS.botToken, SLACK_SIGNING_SECRET: SECRETS.signingSecret, SLACK_API_URL: h.fake.apiUrl, PORT: '0' })!,
      h.core,
    );
    await second.start();
    try {
      const ts = messageTs();
      const before = h.fake.responses.length;
      const body = buttonClickBody({ user: 'U0OTHER', channel: 'C0RESEARCH', messageTs: ts, actionId: 'claim_toggle:2', value: valueOf('claim_toggle:2'), responseUrl: `${h.fake.baseUrl}/response/C0RESEARCH/${ts}/x` });
      const response = await postSigned(`http://127.0.0.1:${second.port()}/slack/events`, body, { secret: SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' });
      expect(response.status).toBe(200);
      await h.fake.waitFor(() => h.fake.responses.length > before, 5000, 'the evidence');
      expect(JSON.stringify(h.fake.responses.at(-1)!.body.blocks)).toContain('*Claim 3*');
    } finally {
      await second.stop();
    }
  });

  it('tells the clicker when the report is gone', async () => {
    await h.core.stores.reports.clear();
    const ts = messageTs();
    const before = h.fake.responses.length;
    await h.click({ actionId: 'claim_toggle:2', value: valueOf('claim_toggle:2'), channel: 'C0RESEARCH', messageTs: ts, user: 'U0OTHER' });
    await h.fake.waitFor(() => h.fake.responses.length > before, 5000, 'the reply');
    expect(h.fake.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('no longer stored') });
  });
});
