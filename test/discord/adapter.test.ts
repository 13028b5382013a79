/**
 * End to end: the real discord.js client against the loopback Discord fake. `/synthesize` is deferred
 * at once, the reply becomes "Researching: …", a thread holds one progress message edited in place
 * and then the answer; claim buttons show the evidence ephemerally (also after a restart); a failed
 * run offers Retry; missing thread permission falls back to replies; nothing posted can mention anyone.
 */
import { describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { createStores } from '../../src/store/store.js';
import type { RecordedRequest } from './fake-discord.js';
import { useHarnesses } from './harness.js';
import { makeReport, scriptedSynthesize } from './scripted.js';

const harness = useHarnesses();

const QUESTION = 'Does vitamin D reduce fracture risk?';
const isAnswer = (r: RecordedRequest) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body.embeds as unknown[]).length > 0;
const content = (r: RecordedRequest) => (r.body?.content as string | undefined) ?? '';

/** Every request body that posts or edits a message allows no mentions. */
function expectNoMentionsPossible(requests: RecordedRequest[]) {
  const posting = requests.filter((r) => r.body && ['content', 'embeds', 'components'].some((k) => k in r.body!));
  expect(posting.length).toBeGreaterThan(0);
  for (const r of posting) expect(r.body!.allowed_mentions, r.route).toMatchObject({ parse: [] });
}

describe('/synthesize', () => {
  it('defers at once, opens a thread, edits one progress message in place and posts the answer there', async () => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    const interaction = h.fake.dispatchCommand({ question: QUESTION, yearFrom: 2000, maxPapers: 5 });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    await h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').length === 2);
    const requests = h.fake.requests.filter((r) => r.route !== 'GET /gateway/bot');

    // 1. The first thing the bot does is the deferred callback, within Discord's 3 s.
    expect(requests[0]!.route).toBe('POST /interactions/:id/:token/callback');
    expect(requests[0]!.body).toMatchObject({ type: 5 });
    expect(interaction.callback!.at - interaction.dispatchedAt).toBeLessThan(3000);
    // 2. The reply becomes "Researching: …".
    const [researching, researched] = h.fake.calls('PATCH /webhooks/:id/:token/messages/@original');
    expect(content(researching!)).toContain(`**Researching:** ${QUESTION}`);
    // 3. A thread on that reply, named after the question.
    const threadCall = h.fake.calls('POST /channels/:id/messages/:id/threads')[0]!;
    expect(threadCall.path).toBe(`/channels/${h.fake.channelId}/messages/${interaction.originalId}/threads`);
    expect(threadCall.body).toMatchObject({ name: `Research: ${QUESTION}` });
    const threadId = interaction.originalId!;
    // 4. One progress message in the thread, edited in place until "Done".
    const posts = h.fake.calls('POST /channels/:id/messages').filter((r) => r.path === `/channels/${threadId}/messages`);
    expect(posts).toHaveLength(2); // progress, then the answer
    const progressId = [...h.fake.messages.values()].find((m) => m.channel_id === threadId && m.content.startsWith('**Done**'))?.id;
    const edits = h.fake.calls('PATCH /channels/:id/messages/:id');
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (const e of edits) expect(e.path).toBe(`/channels/${threadId}/messages/${progressId}`);
    expect(content(edits.at(-1)!)).toMatch(/^\*\*Done\*\* in [\d.]+ s: 3 claim\(s\), quality 6\.5\/10/);
    // Done, it is one line; while running it listed the stages.
    expect(content(edits.at(-1)!).split('\n')).toHaveLength(1);
    expect(edits.some((e) => /claim \d of 3|Searching: corpus 40/.test(content(e)))).toBe(true);
    // 5. The answer: title, answer with citations, quality and each reviewer, claims one per line, buttons, the report attached.
    expect(answer.path).toBe(`/channels/${threadId}/messages`);
    const [main, claims] = answer.body!.embeds as { title: string; description: string; fields?: { name: string; value: string }[] }[];
    expect(main!.title).toBe(`Evidence synthesis: ${QUESTION}`);
    expect(main!.description).toContain('[1, 2]');
    expect(main!.fields!.find((f) => f.name === 'Quality score')!.value).toBe('**6.5/10** · coverage 8/10 · evidence 5.5/10 · sources 6/10');
    expect(claims!.description.split('\n')).toEqual([
      expect.stringMatching(/^\*\*1\.\*\* ✅ supported · high confidence · \[1\] Claim 1:/),
      expect.stringMatching(/^\*\*2\.\*\* ❌ contradicted · high confidence · \[2\] Claim 2:/),
      expect.stringMatching(/^\*\*3\.\*\* ❔ insufficient evidence · low confidence · \[3\] Claim 3:/),
    ]);
    // The asker is told: mentioned in the content, and the only user the message may ping.
    expect(content(answer).startsWith('<@400000000000000001> ')).toBe(true);
    expect(answer.body!.allowed_mentions).toEqual({ parse: [], replied_user: false, users: ['400000000000000001'] });
    // The report id is only in the components' custom ids.
    const visible = JSON.stringify([content(answer), answer.body!.embeds]);
    expect(visible).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    const buttons = (answer.body!.components as { components: { custom_id: string }[] }[]).flatMap((row) => row.components);
    // A button per top claim, then thumbs up and down on the answer.
    expect(buttons.map((b) => b.custom_id)).toEqual([
      ...['c1', 'c2', 'c3'].map((c) => expect.stringMatching(new RegExp(`^claim:[0-9a-f-]{36}:${c}$`))),
      expect.stringMatching(/^vote:[0-9a-f-]{36}:up$/),
      expect.stringMatching(/^vote:[0-9a-f-]{36}:down$/),
    ]);
    const md = answer.files.find((f) => f.name.endsWith('.md'))!;
    expect(md.content).toContain(`# Evidence synthesis: ${QUESTION}`);
    expect(answer.files.map((f) => f.name.split('.').pop())).toEqual(['md', 'json', 'bib']);
    // 6. The parent says where the answer is; the filters reached the core.
    expect(content(researched!)).toContain('**Researched:**');
    const job = await h.core.runner.get(buttons[0]!.custom_id.split(':')[1]!);
    expect(job?.request).toMatchObject({ question: QUESTION, yearFrom: 2000, maxPapers: 5 });
    // Everything after the first reply used the bot token; the interaction token only for the reply.
    for (const r of requests) expect(r.auth, r.route).toBe(r.route.includes('/interactions/') || r.route.includes('/webhooks/') ? 'none' : 'bot');
    expectNoMentionsPossible(h.fake.requests);
    expect(h.fake.problems).toEqual([]);
    expect(h.logs()).not.toContain(h.fake.token);
    expect(h.logs()).not.toContain(interaction.token);
  });

  it('shows a claim’s quote and the evidence for and against it as an ephemeral reply, also after a restart', async () => {
    const stores = await createStores('memory://');
    const first = await harness({ synthesize: scriptedSynthesize(), stores });
    first.fake.dispatchCommand({ question: QUESTION });
    const answer = await first.fake.waitFor(() => first.fake.requests.find(isAnswer));
    const button = (answer.body!.components as { components: { custom_id: string }[] }[])[0]!.components[1]!.custom_id;
    const answerMessage = [...first.fake.messages.values()].find((m) => m.embeds.length > 0)!;
    // Restart: a new adapter and core over the same stores, a new gateway session.
    await first.adapter.stop();
    const second = await harness({ synthesize: scriptedSynthesize(), stores });
    second.fake.messages.set(answerMessage.id, answerMessage);
    const click = second.fake.dispatchComponent({ messageId: answerMessage.id, customId: button });
    const edit = await second.fake.waitFor(() => second.fake.calls('PATCH /webhooks/:id/:token/messages/@original')[0]);
    expect(click.callback).toMatchObject({ type: 5 });
    expect(second.fake.calls('POST /interactions/:id/:token/callback')[0]!.body).toEqual({ type: 5, data: { flags: 64 } });
    const embed = (edit.body!.embeds as { title: string; description: string; url: string; fields: { name: string; value: string }[] }[])[0]!;
    expect(embed.title).toBe('Claim 2: ❌ contradicted (confidence 0.80)');
    expect(embed.description).toContain('> Vitamin D supplementation lowered the hip fracture rate by 11%.');
    expect(embed.url).toBe('https://doi.org/10.1000/test.1');
    expect(embed.fields.map((f) => f.name)).toEqual(['Evidence for (1)', 'Evidence against (1)', 'Papers']);
    expect(embed.fields[0]!.value).toBe('[3] “Supplementation reduced fractures in trial 1.”');
    expect(embed.fields[1]!.value).toBe('[4] “No reduction in fractures was seen in cohort 1.”');
    expectNoMentionsPossible(second.fake.requests);
    expect(second.fake.problems).toEqual([]);
    await stores.close();
  });

  it('uses a select menu when a report has more claims than buttons fit, within every limit', async () => {
    const h = await harness({ synthesize: scriptedSynthesize({ report: (id, r) => makeReport(id, r.question, { claims: 40, papers: 30, long: true }) }) });
    h.fake.dispatchCommand({ question: QUESTION });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    const rows = answer.body!.components as { components: { type: number; custom_id: string; options: { value: string }[] }[] }[];
    // A button per top claim, then "All claims (40)" in two menus of at most 25.
    expect(rows.map((r) => r.components.map((c) => c.type))).toEqual([[2, 2, 2, 2, 2], [3], [3]]);
    expect(rows.slice(1).map((r) => (r.components[0] as unknown as { placeholder: string }).placeholder)).toEqual(['All claims (40): 1–25', 'All claims (40): 26–40']);
    expect(rows.slice(1).flatMap((r) => r.components[0]!.options.map((o) => o.value))).toHaveLength(40);
    const claims = (answer.body!.embeds as { title: string; description: string }[])[1]!;
    expect(claims.title).toBe('Top claims (3 of 40)');
    expect(claims.description.split('\n')).toHaveLength(4);
    expect(claims.description).toMatch(/\n… and 37 more: pick one under \*\*All claims \(40\)\*\* below\.$/);
    const message = [...h.fake.messages.values()].find((m) => m.embeds.length > 0)!;
    h.fake.dispatchComponent({ messageId: message.id, customId: rows[2]!.components[0]!.custom_id, values: ['c33'] });
    const edit = await h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').find((r) => r.body?.embeds));
    expect((edit.body!.embeds as { title: string }[])[0]!.title).toMatch(/^Claim 33: /);
    // The fake rejects (and records) anything over a limit or off the spec: nothing was.
    expect(h.fake.problems).toEqual([]);
  });
});

describe('failures', () => {
  it('posts the reason with a Retry button; Retry starts the run again in the same thread', async () => {
    const synthesize = scriptedSynthesize({ fail: (_r, call) => (call === 1 ? new SynthError('all_sources_failed', 'openalex: timeout; arxiv: HTTP 503.') : undefined) });
    const h = await harness({ synthesize });
    const interaction = h.fake.dispatchCommand({ question: QUESTION });
    const failure = await h.fake.waitFor(() => h.fake.calls('POST /channels/:id/messages').find((r) => content(r).startsWith('**The run failed.**')));
    const threadId = interaction.originalId!;
    expect(failure.path).toBe(`/channels/${threadId}/messages`);
    expect(content(failure)).toBe('**The run failed.** Every literature source failed, so there was nothing to synthesize. openalex: timeout; arxiv: HTTP 503.');
    const retry = (failure.body!.components as { components: { custom_id: string; label: string }[] }[])[0]!.components[0]!;
    expect(retry.label).toBe('Retry');
    await h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').some((r) => content(r).includes('Research failed')));
    const progressEdits = h.fake.calls('PATCH /channels/:id/messages/:id');
    expect(content(progressEdits.at(-1)!)).toMatch(/^\*\*Run failed\*\*/);

    const failureMessage = [...h.fake.messages.values()].find((m) => m.content.startsWith('**The run failed.**'))!;
    const click = h.fake.dispatchComponent({ messageId: failureMessage.id, customId: retry.custom_id });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    expect(click.callback).toMatchObject({ type: 6 });
    expect(answer.path).toBe(`/channels/${threadId}/messages`);
    expect(synthesize.calls).toHaveLength(2);
    expect(failureMessage.components).toEqual([]); // the Retry button is gone
    expect(failureMessage.content).toContain('Retried by');

    // A second click on the same (stale) button does not start a third run.
    h.fake.dispatchComponent({ messageId: failureMessage.id, customId: retry.custom_id });
    const followUp = await h.fake.waitFor(() => h.fake.calls('POST /webhooks/:id/:token')[0]);
    expect(content(followUp)).toContain('already been retried');
    expect(followUp.body!.flags).toBe(64);
    expect(synthesize.calls).toHaveLength(2);
    expect(h.fake.problems).toEqual([]);
  });

  it('after a restart, resumes the run in its thread and answers it there once', async () => {
    const stores = await createStores('memory://');
    // The first process dies mid-run: its runner stops renewing the run's lease and writes nothing more,
    // so the job stays "running" in the store.
    const first = await harness({ synthesize: scriptedSynthesize({ stepMs: 60_000 }), stores, leaseMs: 100 });
    const interaction = first.fake.dispatchCommand({ question: QUESTION });
    await first.fake.waitFor(() => first.fake.calls('PATCH /channels/:id/messages/:id')[0]);
    const threadId = interaction.originalId!;
    await first.core.runner.close({ crash: true });
    await first.adapter.stop();

    const synthesize = scriptedSynthesize();
    const second = await harness({ synthesize, stores });
    // The thread and its asker still exist on Discord's side after the restart.
    second.fake.channels.set(threadId, first.fake.channels.get(threadId)!);
    for (const user of first.fake.askers) second.fake.askers.add(user);
    // Taken over once the lease has expired.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const taken = await second.core.runner.sweep();
    expect(taken).toHaveLength(1);
    await second.adapter.announceInterrupted!(taken);
    const answer = await second.fake.waitFor(() => second.fake.requests.find(isAnswer));
    expect(answer.path).toBe(`/channels/${threadId}/messages`);
    expect(answer.status).toBe(200);
    await second.adapter.settled();
    expect(second.fake.requests.filter(isAnswer)).toHaveLength(1);
    expect(second.fake.calls('POST /channels/:id/messages').map(content).filter((c) => c.startsWith('**The run failed.**'))).toEqual([]);
    expect(synthesize.calls.map((r) => r.question)).toEqual([QUESTION]);
    expect(second.fake.problems).toEqual([]);
    await first.fake.close();
    await stores.close();
  });

  it('continues as replies in the channel, with a note, when it may not create threads (403)', async () => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    h.fake.forbidThreads(h.fake.channelId);
    const interaction = h.fake.dispatchCommand({ question: QUESTION });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    expect(h.fake.calls('POST /channels/:id/messages/:id/threads')[0]!.status).toBe(403);
    const posts = h.fake.calls('POST /channels/:id/messages');
    for (const post of posts) {
      expect(post.path).toBe(`/channels/${h.fake.channelId}/messages`);
      expect(post.body!.message_reference).toMatchObject({ message_id: interaction.originalId });
      // Replies ping nobody; the answer may ping its asker only.
      expect(post.body!.allowed_mentions).toEqual({ parse: [], replied_user: false, ...(post === answer ? { users: ['400000000000000001'] } : {}) });
    }
    expect(content(posts[0]!)).toMatch(/^ℹ️ I cannot create threads in this channel \(the bot lacks the Create Public Threads permission\)/);
    expect(answer.body!.embeds).toHaveLength(2);
    expect(h.fake.problems).toEqual([]);
  });

  it('answers through the interaction’s follow-up when it may not post in the channel at all', async () => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    h.fake.forbidSending(h.fake.channelId);
    h.fake.dispatchCommand({ question: QUESTION });
    const followUp = await h.fake.waitFor(() => h.fake.calls('POST /webhooks/:id/:token')[0]);
    expect((followUp.body!.embeds as unknown[]).length).toBe(2);
    expect(content(followUp).startsWith('<@400000000000000001> ')).toBe(true);
    expect(followUp.body!.allowed_mentions).toMatchObject({ parse: [], users: ['400000000000000001'] });
    expect(followUp.files.map((f) => f.name.split('.').pop())).toEqual(['md', 'json', 'bib']);
    const parent = await h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').find((r) => content(r).includes('Send Messages')));
    expect(content(parent)).toMatch(/^⚠️ \*\*Researched:\*\*/);
    expect(h.fake.problems).toEqual([]);
  });

  it('runs inside an existing thread without starting another one', async () => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    const first = h.fake.dispatchCommand({ question: QUESTION });
    await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    const threadId = first.originalId!;
    h.fake.dispatchCommand({ question: `${QUESTION} In children?`, channelId: threadId, userId: '400000000000000002' });
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === 2);
    expect(h.fake.calls('POST /channels/:id/messages/:id/threads')).toHaveLength(1);
    const posts = h.fake.calls('POST /channels/:id/messages');
    expect(posts.every((p) => p.path === `/channels/${threadId}/messages`)).toBe(true);
    expect(h.fake.problems).toEqual([]);
  });

  it('lets one user have at most two runs going; the third is refused ephemerally at once', async () => {
    const h = await harness({ synthesize: scriptedSynthesize({ stepMs: 80 }) });
    h.fake.dispatchCommand({ question: `${QUESTION} (1)` });
    h.fake.dispatchCommand({ question: `${QUESTION} (2)` });
    await h.fake.waitFor(() => h.fake.calls('POST /channels/:id/messages/:id/threads').length === 2);
    const third = h.fake.dispatchCommand({ question: `${QUESTION} (3)` });
    const other = h.fake.dispatchCommand({ question: `${QUESTION} (other user)`, userId: '400000000000000777' });
    await h.fake.waitFor(() => third.callback && other.callback);
    const refusal = h.fake.calls('POST /interactions/:id/:token/callback').find((r) => r.path.includes(third.id))!;
    expect(refusal.body).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining('already have 2 synthesis runs') } });
    expect(other.callback!.type).toBe(5);
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === 3, 20_000);
    expect(h.fake.problems).toEqual([]);
  });

  it('refuses an empty or malformed question ephemerally without starting a run', async () => {
    const synthesize = scriptedSynthesize();
    const h = await harness({ synthesize });
    const empty = h.fake.dispatchCommand({ question: '   \u200b ' });
    const years = h.fake.dispatchCommand({ question: QUESTION, yearFrom: 2020, yearTo: 2010 });
    await h.fake.waitFor(() => empty.callback && years.callback);
    const bodies = h.fake.calls('POST /interactions/:id/:token/callback').map((r) => r.body as { type: number; data: { content: string; flags: number } });
    expect(bodies.map((b) => [b.type, b.data.flags])).toEqual([[4, 64], [4, 64]]);
    expect(bodies.map((b) => b.data.content).join('\n')).toMatch(/question is empty[\s\S]*The year range starts \(2020\) after it ends \(2010\)/);
    expect(synthesize.calls).toHaveLength(0);
  });
});
