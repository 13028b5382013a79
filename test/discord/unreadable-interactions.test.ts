/**
 * Issue 12: interactions the bot cannot read (options of the wrong type, custom_ids it never made)
 * got no response at all, and Discord showed "This interaction failed". Every interaction now gets an
 * answer, privately. A claim button naming a claim that is not in a stored report says so, instead
 * of claiming the report is gone.
 */
import { describe, expect, it } from 'vitest';
import type { FakeDiscord, RecordedRequest } from './fake-discord.js';
import { useHarnesses } from './harness.js';
import { scriptedSynthesize } from './scripted.js';

const harness = useHarnesses();
const QUESTION = 'Does vitamin D reduce fracture risk?';
const UNREADABLE = 'That request could not be read.';

const isAnswer = (r: RecordedRequest) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body.embeds as unknown[]).length > 0;

/** The first response to the interaction: its callback body. */
async function callbackOf(fake: FakeDiscord, state: { token: string; callback?: { type: number } }): Promise<Record<string, unknown>> {
  await fake.waitFor(() => state.callback, 5000);
  return fake.calls('POST /interactions/:id/:token/callback').find((r) => r.path.includes(state.token))!.body!;
}

describe('an interaction the bot cannot read', () => {
  it.each([
    ['a question that is a number', [{ name: 'question', type: 4, value: 5 }]],
    ['a year that is text', [{ name: 'question', type: 3, value: QUESTION }, { name: 'year_from', type: 3, value: 'last year' }]],
    ['no question at all', []],
  ])('answers /synthesize with %s privately, and starts nothing', async (_name, rawOptions) => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    const state = h.fake.dispatchCommand({ question: QUESTION, rawOptions });
    const body = await callbackOf(h.fake, state);
    expect(body).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining(UNREADABLE) } });
    expect(h.core.runner.activeFor('400000000000000001')).toEqual([]);
    expect(h.fake.problems).toEqual([]);
  });

  it.each([
    ['a custom_id it never made', 'garbage', undefined],
    ['a claim button without a claim', 'claim:abc', undefined],
    ['a retry with an extra part', 'retry:abc:def', undefined],
    ['a cancel with unsafe characters', 'cancel:%%%', undefined],
    ['a select menu carrying a retry', 'retry:abc', ['x']],
  ])('answers a click on %s privately', async (_name, customId, values) => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    const message = h.fake.dispatchMessage({ content: 'just chatting' });
    const state = h.fake.dispatchComponent({ messageId: message.id, customId, ...(values ? { values } : {}) });
    const body = await callbackOf(h.fake, state);
    expect(body).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining(UNREADABLE) } });
    expect(h.fake.problems).toEqual([]);
  });
});

describe('a claim button for a claim the report does not have', () => {
  it('says the claim is not in the report (the report is stored), and a missing report is still "no longer stored"', async () => {
    const h = await harness({ synthesize: scriptedSynthesize() });
    h.fake.dispatchCommand({ question: QUESTION });
    const answer = await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    const button = (answer.body!.components as { components: { custom_id: string }[] }[])[0]!.components[0]!.custom_id;
    const reportId = button.split(':')[1]!;
    const message = [...h.fake.messages.values()].find((m) => m.embeds.length > 0)!;
    /** The reply the bot wrote for one click (an edit of that interaction's deferred reply). */
    const replyTo = (state: { token: string }) =>
      h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').find((r) => r.path.includes(state.token)));

    const missingClaim = await replyTo(h.fake.dispatchComponent({ messageId: message.id, customId: `claim:${reportId}:999` }));
    expect(missingClaim.body!.content).toBe('This report has no claim 999; use the buttons of the answer to see its claims.');

    const gone = await replyTo(h.fake.dispatchComponent({ messageId: message.id, customId: 'claim:00000000-0000-4000-8000-000000000000:c1' }));
    expect(gone.body!.content).toBe('This report is no longer stored, so its evidence cannot be shown. Ask the question again.');
    expect(h.fake.problems).toEqual([]);
  });
});
