/**
 * The crash window no record can close: the answer was posted, then the process died before it
 * recorded so. The run is rewound in the store to exactly that state (delivery still "running", its
 * lease expired) and taken over; each platform must find what it posted (Slack: the message's
 * metadata; Discord: the post's enforced nonce) and not answer twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/job.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { startHarness as startDiscord } from '../discord/harness.js';
import { scriptedSynthesize as discordScript } from '../discord/scripted.js';
import { startSlackHarness } from '../slack/harness.js';
import { makeReport, scriptedSynthesize } from '../slack/scripted.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of opened.splice(0).reverse()) await h.close();
});

/** Rewinds a delivered run to "answer posted, not recorded; its process dead". */
async function rewind(stores: Stores, id: string): Promise<void> {
  const record = (await stores.jobs.get(id)) as JobRecord;
  expect(record.delivery).toMatchObject({ step: 'finalised' });
  const { answer: _answer, failure: _failure, ...rest } = record.delivery!;
  await stores.jobs.set(id, { ...record, delivery: { ...rest, step: 'running' }, lease: { owner: 'a process that died', until: 0 } });
}

describe('a run resumed after its answer was posted but not recorded', () => {
  it('Slack finds its answer by metadata and posts no second one', async () => {
    const stores = await createStores('memory://');
    opened.push({ close: () => stores.close() });
    const h = await startSlackHarness({ synthesize: scriptedSynthesize({ report: (id) => makeReport({ id }) }), stores });
    opened.push(h);
    await h.command('Does it work?');
    await h.adapter.settled();
    const answers = () => [...h.fake.messages.values()].filter((m) => (m.blocks?.[0] as { type?: string } | undefined)?.type === 'header');
    expect(answers()).toHaveLength(1);
    const id = answers()[0]!.metadata!.event_payload!.key as string;
    const runId = id.replace(/:answer$/, '');
    await rewind(stores, runId);
    const taken = await h.core.runner.sweep(['slack']);
    expect(taken.map((j) => j.id)).toEqual([runId]);
    await h.adapter.announceInterrupted!(taken);
    expect(answers()).toHaveLength(1);
    expect(h.fake.callsOf('conversations.replies')).toHaveLength(1);
    // Delivered to the end: files attached once more (their step was lost too), record finalised.
    expect(((await stores.jobs.get(runId)) as JobRecord).delivery).toMatchObject({ step: 'finalised', answer: { id: answers()[0]!.ts } });
    expect(h.fake.problems).toEqual([]);
  });

  it('Discord posts again with the same enforced nonce and gets the first message back', async () => {
    const stores = await createStores('memory://');
    opened.push({ close: () => stores.close() });
    const h = await startDiscord({ synthesize: discordScript(), stores });
    opened.push(h);
    h.fake.dispatchCommand({ question: 'Does vitamin D reduce fracture risk?' });
    const isAnswer = (r: { route: string; body?: Record<string, unknown> }) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body!.embeds as unknown[]).length > 0;
    await h.fake.waitFor(() => h.fake.requests.find(isAnswer));
    await h.adapter.settled();
    const first = h.fake.requests.find(isAnswer)!;
    expect(first.body).toMatchObject({ enforce_nonce: true, nonce: expect.stringMatching(/^[\w-]{25}$/) });
    const runId = ((first.body!.components as { components: { custom_id: string }[] }[])[0]!.components[0]!.custom_id).split(':')[1]!;
    await rewind(stores, runId);
    const taken = await h.core.runner.sweep(['discord']);
    expect(taken.map((j) => j.id)).toEqual([runId]);
    await h.adapter.announceInterrupted!(taken);
    const posts = h.fake.requests.filter(isAnswer);
    // Posted twice, one message: the fake, like Discord, returns the first for the same nonce.
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body!.nonce).toBe(first.body!.nonce);
    expect([...h.fake.messages.values()].filter((m) => m.embeds.length > 0)).toHaveLength(1);
    expect(((await stores.jobs.get(runId)) as JobRecord).delivery).toMatchObject({ step: 'finalised' });
    expect(h.fake.problems).toEqual([]);
  });
});
