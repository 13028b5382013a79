/**
 * Flagging a claim and voting on an answer, on both platforms over their fakes, with the real pipeline
 * over a small corpus: the flag asks why (Slack modal, Discord modal), is stored with who, when and
 * why in the report (`claims[].flags`), re-verifies the claim against the thread's papers, is said in
 * the thread, and the answer shows "flagged by 1"; a thumbs up is stored as `feedback`.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { createRuntime } from '../../src/runtime.js';
import { useOpened } from './stores.js';
import { startHarness as startDiscord } from '../discord/harness.js';
import { buttonValue } from '../slack/assertions.js';
import { SECRETS, startSlackHarness } from '../slack/harness.js';
import { postSigned, reactionAddedBody, viewSubmissionBody } from '../slack/slack-requests.js';

const CORPUS = fileURLToPath(new URL('../fixtures/corpus/exercise.jsonl', import.meta.url));
const QUESTION = 'Does exercise reduce depressive symptoms in adults?';

const { open, sharedStores } = useOpened();

describe('Slack: flags and votes', () => {
  it('flags a claim through the modal (stored, re-verified, said in the thread, shown on the answer) and counts a thumbs up', async () => {
    const stores = await sharedStores();
    const h = await startSlackHarness({ corpus: [CORPUS], stores });
    open.push(h);
    await h.command(QUESTION);
    await h.adapter.settled();
    const answer = [...h.fake.messages.values()].find((m) => (m.blocks?.[0] as { type?: string } | undefined)?.type === 'header')!;
    const value = buttonValue(answer.blocks, 'claim_toggle:0')!;
    const [reportId, claimId] = value.split('|') as [string, string];

    // Evidence first, privately: it carries the Flag button.
    await h.click({ actionId: 'claim_toggle:0', value, channel: 'C0RESEARCH', messageTs: answer.ts, threadTs: answer.thread_ts! });
    await h.fake.waitFor(() => h.fake.responses.length > 0, 5000, 'the evidence');
    expect(buttonValue(h.fake.responses.at(-1)!.body.blocks as Record<string, unknown>[], 'flag_claim')).toBe(value);

    // Flag: a modal asks why.
    await h.click({ actionId: 'flag_claim', value, channel: 'C0RESEARCH', messageTs: answer.ts, threadTs: answer.thread_ts! });
    await h.fake.waitFor(() => h.fake.views.length === 1, 5000, 'the modal');
    expect(h.fake.views[0]).toMatchObject({ type: 'modal', callback_id: 'flag_claim_reason', private_metadata: value });
    const submitted = await postSigned(h.url, viewSubmissionBody({ user: 'U0OTHER', callbackId: 'flag_claim_reason', privateMetadata: value, values: { reason: 'The trial <!channel> was tiny' } }), {
      secret: SECRETS.signingSecret,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(submitted.status).toBe(200);
    await h.fake.waitFor(() => h.fake.thread('C0RESEARCH', answer.thread_ts!).some((m) => m.text.startsWith('Claim 1 was flagged')), 10_000, 'the flag in the thread');
    await h.adapter.settled();

    const report = (await stores.reports.get(reportId)) as Report;
    const claim = report.claims.find((c) => c.id === claimId)!;
    expect(claim.flags).toHaveLength(1);
    expect(claim.flags![0]).toMatchObject({ by: 'U0OTHER', platform: 'slack', reason: 'The trial @channel was tiny', reverified: { before: { verdict: expect.any(String) }, after: { verdict: claim.verification.verdict } } });
    const notice = h.fake.thread('C0RESEARCH', answer.thread_ts!).find((m) => m.text.startsWith('Claim 1 was flagged'))!;
    expect(notice.text).toMatch(/^Claim 1 was flagged by <@U0OTHER>: “The trial @channel was tiny”\. Re-verified against the thread’s \d+ papers: /);
    expect(JSON.stringify(h.fake.messages.get(answer.ts)!.blocks)).toContain('⚑ flagged by 1');

    // A thumbs up on the answer is feedback on it.
    await postSigned(h.url, reactionAddedBody({ eventId: 'EvReact1', user: 'U0OTHER', reaction: '+1', channel: 'C0RESEARCH', ts: answer.ts }), { secret: SECRETS.signingSecret, contentType: 'application/json' });
    await h.adapter.settled();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await h.adapter.settled();
    expect(((await stores.reports.get(reportId)) as Report).feedback).toEqual([expect.objectContaining({ by: 'U0OTHER', platform: 'slack', vote: 'up' })]);
    expect(h.fake.problems).toEqual([]);
  });
});

describe('Discord: flags and votes', () => {
  it('flags a claim through the modal and records a vote from the answer’s buttons', async () => {
    const stores = await sharedStores();
    const config = loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none' });
    const h = await startDiscord({ runtime: createRuntime(config, silentLogger, { corpus: [CORPUS], offline: true }), stores });
    open.push(h);
    const interaction = h.fake.dispatchCommand({ question: QUESTION });
    const isAnswer = (r: { route: string; body?: Record<string, unknown> }) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body!.embeds as unknown[]).length > 0;
    await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    await h.adapter.settled();
    const threadId = interaction.originalId!;
    const answer = [...h.fake.messages.values()].find((m) => m.channel_id === threadId && m.embeds.length > 0)!;
    const ids = (answer.components as { components: { custom_id: string }[] }[])[0]!.components.map((c) => c.custom_id);
    expect(ids.slice(-2)).toEqual([expect.stringMatching(/^vote:.+:up$/), expect.stringMatching(/^vote:.+:down$/)]);
    const [, reportId, claimId] = ids[0]!.split(':') as [string, string, string];

    // The evidence reply carries the Flag button; the flag opens a modal.
    h.fake.dispatchComponent({ messageId: answer.id, customId: ids[0]! });
    const evidence = await h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').find((r) => JSON.stringify(r.body).includes('flag:')));
    const flagId = (evidence.body!.components as { components: { custom_id: string }[] }[])[0]!.components[0]!.custom_id;
    expect(flagId).toBe(`flag:${reportId}:${claimId}`);
    const flagClick = h.fake.dispatchComponent({ messageId: answer.id, customId: flagId, userId: '400000000000000002' });
    await h.fake.waitFor(() => flagClick.callback);
    expect(flagClick.callback!.type).toBe(9);
    const modal = h.fake.calls('POST /interactions/:id/:token/callback').find((r) => (r.body as { type: number }).type === 9)!;
    expect((modal.body as { data: { custom_id: string } }).data.custom_id).toBe(`flag-reason:${reportId}:${claimId}`);

    h.fake.dispatchModalSubmit({ customId: `flag-reason:${reportId}:${claimId}`, values: { reason: 'Only 200 patients @everyone' }, userId: '400000000000000002', channelId: threadId });
    await h.fake.waitFor(() => h.fake.calls('POST /channels/:id/messages').find((r) => String(r.body?.content ?? '').startsWith('Claim 1 was flagged')));
    await h.adapter.settled();
    const report = (await stores.reports.get(reportId)) as Report;
    expect(report.claims.find((c) => c.id === claimId)!.flags).toEqual([expect.objectContaining({ by: '400000000000000002', platform: 'discord', reason: 'Only 200 patients @everyone' })]);
    const edited = await h.fake.waitFor(() => h.fake.calls('PATCH /channels/:id/messages/:id').find((r) => r.path.endsWith(`/${answer.id}`) && JSON.stringify(r.body).includes('flagged by 1')));
    expect(edited).toBeDefined();

    h.fake.dispatchComponent({ messageId: answer.id, customId: `vote:${reportId}:down`, userId: '400000000000000003' });
    const thanked = await h.fake.waitFor(() => h.fake.calls('PATCH /webhooks/:id/:token/messages/@original').find((r) => String(r.body?.content ?? '').startsWith('Thanks for the feedback')));
    expect(String(thanked.body!.content)).toContain('0 👍, 1 👎');
    expect(((await stores.reports.get(reportId)) as Report).feedback).toEqual([expect.objectContaining({ by: '400000000000000003', platform: 'discord', vote: 'down' })]);
    expect(h.fake.problems).toEqual([]);
  });
});
