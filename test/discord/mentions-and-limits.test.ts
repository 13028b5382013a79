/**
 * End to end, continued: `@bot <question>` starts the same flow on the mentioning message; Discord's
 * 429s (with its headers, including undisclosed sub-limits) are waited out, never hammered; writes
 * after the interaction token's lifetime go through the bot token; hostile text cannot ping anyone;
 * the real pipeline over the SciFact corpus produces an answer that matches its report.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';
import { silentLogger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import type { RecordedRequest } from './fake-discord.js';
import { SHARED_DATA } from './fake-validate.js';
import { useHarnesses } from './harness.js';
import { scriptedSynthesize } from './scripted.js';

const harness = useHarnesses();
const isAnswer = (r: RecordedRequest) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body.embeds as unknown[]).length > 0;
const content = (r: RecordedRequest) => (r.body?.content as string | undefined) ?? '';

describe('@mentions', () => {
  it('starts the flow in a thread on the mentioning message', async () => {
    const synthesize = scriptedSynthesize();
    const h = await harness({ synthesize });
    const bot = h.fake.botUser.id;
    h.fake.dispatchMessage({ content: 'just chatting, no mention' });
    const msg = h.fake.dispatchMessage({ content: `<@${bot}> Does vitamin D reduce fracture risk?` });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    const thread = h.fake.calls('POST /channels/:id/messages/:id/threads')[0]!;
    expect(thread.path).toBe(`/channels/${h.fake.channelId}/messages/${msg.id}/threads`);
    expect(thread.body).toMatchObject({ name: 'Research: Does vitamin D reduce fracture risk?' });
    expect(answer.path).toBe(`/channels/${msg.id}/messages`);
    expect(synthesize.calls.map((r) => r.question)).toEqual(['Does vitamin D reduce fracture risk?']);
    // The bot's own messages (dispatched back as MESSAGE_CREATE) never start anything.
    expect(h.fake.calls('POST /channels/:id/messages/:id/threads')).toHaveLength(1);
    expect(h.fake.problems).toEqual([]);
  });

  it('answers a bare mention with how to ask, as a reply that pings nobody', async () => {
    const synthesize = scriptedSynthesize();
    const h = await harness({ synthesize });
    const msg = h.fake.dispatchMessage({ content: `<@${h.fake.botUser.id}>` });
    const reply = await h.fake.waitFor(() => h.fake.calls('POST /channels/:id/messages')[0]);
    expect(content(reply)).toContain('The question is empty');
    expect(reply.body).toMatchObject({ message_reference: { message_id: msg.id }, allowed_mentions: { parse: [], replied_user: false } });
    expect(synthesize.calls).toHaveLength(0);
  });
});

describe('safety', () => {
  it('neutralises mentions and markdown in questions and paper text; nothing can ping anyone but the asker', async () => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    const hostile = 'Does @everyone <@123456789012345678> <@&223456789012345678> **really** [click](https://evil.example) matter?';
    h.fake.dispatchCommand({ question: hostile, userId: '400000000000000009' });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    const researching = h.fake.calls('PATCH /webhooks/:id/:token/messages/@original')[0]!;
    expect(content(researching)).toContain('@123456789012345678 @223456789012345678 \\*\\*really\\*\\* \\[click](https://evil.example)');
    // The one live mention anywhere is the asker's, at the head of the answer.
    const everything = JSON.stringify(h.fake.requests.map((r) => r.body));
    expect([...everything.matchAll(/<@&?!?\d+>/g)].map((m) => m[0])).toEqual(['<@400000000000000009>']);
    expect(content(answer).startsWith('<@400000000000000009> ')).toBe(true);
    for (const r of h.fake.requests.filter((r) => r !== answer && r.body && ('content' in r.body || 'embeds' in r.body))) {
      expect(r.body!.allowed_mentions, r.route).toEqual({ parse: [], replied_user: false });
    }
    expect(answer.body!.allowed_mentions).toEqual({ parse: [], replied_user: false, users: ['400000000000000009'] });
    expect(h.fake.problems).toEqual([]);
  });
});

describe('rate limits and token lifetime', () => {
  it('waits out 429s (headers and hidden sub-limits) and never sends again before the reset', async () => {
    const h = await harness({
      synthesize: scriptedSynthesize({ stepMs: 10 }),
      adapter: { progressIntervalMs: 0 },
      fake: {
        rateLimits: {
          'PATCH /channels/:id/messages/:id': { limit: 5, enforced: 2, windowMs: 400 },
          'POST /channels/:id/messages': { limit: 2, windowMs: 300 },
          // Every thread is started in the same channel: one bucket, hit by concurrent runs.
          'POST /channels/:id/messages/:id/threads': { limit: 6, enforced: 3, windowMs: 300 },
        },
      },
    });
    for (let i = 0; i < 12; i++) h.fake.dispatchCommand({ question: `Does vitamin D reduce fracture risk? (${i})`, userId: `4000000000000000${10 + i}` });
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === 12, 20_000);
    expect(h.fake.calls('POST /channels/:id/messages/:id/threads').some((r) => r.status === 429)).toBe(true);
    expect(h.fake.limiter.stats.limited).toBeGreaterThan(0);
    expect(h.fake.limiter.stats.violations).toBe(0);
    const limited = h.fake.requests.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // The last edit of each progress message is its final state: nothing was dropped by a 429.
    for (const thread of new Set(h.fake.calls('PATCH /channels/:id/messages/:id').map((r) => r.path))) {
      const last = h.fake.calls('PATCH /channels/:id/messages/:id').filter((r) => r.path === thread && r.status === 200).at(-1)!;
      expect(content(last)).toMatch(/^\*\*Done\*\*/);
    }
    expect(h.fake.problems).toEqual([]);
  });

  it('stops using the interaction token after its lifetime: later writes go through the bot token', async () => {
    const h = await harness({
      synthesize: scriptedSynthesize({ stepMs: 120 }),
      fake: { tokenLifetimeMs: 600 },
      adapter: { interactionTokenMs: 300 },
    });
    const interaction = h.fake.dispatchCommand({ question: 'Does vitamin D reduce fracture risk?' });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    await new Promise((r) => setTimeout(r, 100));
    expect(answer.at - interaction.dispatchedAt).toBeGreaterThan(600);
    expect(answer.auth).toBe('bot');
    const webhookCalls = h.fake.requests.filter((r) => r.route.startsWith('PATCH /webhooks/'));
    expect(webhookCalls).toHaveLength(1); // only the "Researching" reply
    for (const r of webhookCalls) expect(r.at - interaction.dispatchedAt).toBeLessThan(600);
    expect(h.fake.problems).toEqual([]);
  });
});

describe('the real pipeline', () => {
  it('answers from the SciFact corpus with the report’s claims and the report attached', async () => {
    const corpus = resolve(SHARED_DATA, 'scifact', 'corpus.jsonl.gz');
    const config = loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none' });
    const runtime = createRuntime(config, silentLogger, { corpus: [corpus], offline: true });
    const h = await harness({ runtime });
    h.fake.dispatchCommand({ question: 'Does vitamin D supplementation reduce fracture risk?', maxPapers: 10 });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer), 30_000);
    const reportId = ((answer.body!.components as { components: { custom_id: string }[] }[])[0]!.components[0]!.custom_id).split(':')[1]!;
    const report = (await h.core.runner.getReport(reportId)) as Report;
    expect(report.claims.length).toBeGreaterThan(0);
    const lines = (answer.body!.embeds as { description: string }[])[1]!.description.split('\n');
    expect(lines).toHaveLength(report.claims.length);
    report.claims.forEach((c, i) => expect(lines[i]).toContain(`**${i + 1}.** `));
    expect(answer.files.find((f) => f.name.endsWith('.md'))!.content).toBe(renderMarkdown(report));
    const progress = h.fake.calls('PATCH /channels/:id/messages/:id').map(content);
    expect(progress.some((p) => /✓ Searching: corpus \d+/.test(p)) || progress.at(-1)!.startsWith('**Done**')).toBe(true);
    expect(progress.at(-1)).toMatch(/^\*\*Done\*\* in [\d.]+ s: \d+ claim\(s\)/);
    expect(h.fake.problems).toEqual([]);
  });
});
