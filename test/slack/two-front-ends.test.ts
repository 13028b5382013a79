/**
 * Exactly once where users can see it (issue 13): two bot processes behind one Request URL share a
 * Redis store. Slack's retried deliveries of an event, and the same event or command reaching both
 * front ends at once, start one run and post one answer. Real Redis; the claim is the store's atomic
 * `SET NX`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStores, type Stores } from '../../src/store/store.js';
import { freshRedis, REDIS_DATABASES } from '../helpers/redis.js';
import { isAnswerMessage } from './assertions.js';
import { createFakeSlack, type FakeSlack } from './fake-slack.js';
import { SECRETS, startSlackHarness, type Harness } from './harness.js';
import { makeReport, scriptedSynthesize } from './scripted.js';

let fake: FakeSlack;
let storesA: Stores;
let storesB: Stores;
let a: Harness;
let b: Harness;
const synthA = scriptedSynthesize({ stepMs: 20, report: (id) => makeReport({ id }) });
const synthB = scriptedSynthesize({ stepMs: 20, report: (id) => makeReport({ id }) });

beforeAll(async () => {
  const url = await freshRedis(REDIS_DATABASES.frontEnds);
  fake = await createFakeSlack({ token: SECRETS.botToken });
  storesA = await createStores(url);
  storesB = await createStores(url);
  a = await startSlackHarness({ fakeSlack: fake, stores: storesA, synthesize: synthA });
  b = await startSlackHarness({ fakeSlack: fake, stores: storesB, synthesize: synthB });
});
afterAll(async () => {
  await a.close();
  await b.close();
  await storesA.close();
  await storesB.close();
  await fake.close();
});

const answersIn = (channel: string) => fake.callsOf('chat.postMessage').filter((c) => c.args.channel === channel && isAnswerMessage(c.args));

describe('two front ends on one store', () => {
  it('start one run for an app_mention delivered to both at once and retried by Slack', async () => {
    const event = { eventId: 'Ev0TWOFRONTS', channel: 'C0TWO', text: '<@UBOT> Does vitamin D reduce fracture risk?', ts: '1700000100.000100' };
    const before = synthA.calls + synthB.calls;
    const responses = await Promise.all([a.mention(event), b.mention(event), b.mention({ ...event, retryNum: 1 }), a.mention({ ...event, retryNum: 2 })]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await fake.waitFor(() => answersIn('C0TWO').length >= 1, 10_000, 'the answer');
    await Promise.all([a.adapter.settled(), b.adapter.settled()]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(synthA.calls + synthB.calls - before).toBe(1);
    expect(answersIn('C0TWO')).toHaveLength(1);
  });

  it('start one run for a slash command whose delivery reached both', async () => {
    const before = synthA.calls + synthB.calls;
    const fields = { channel: 'C0TWOCMD', triggerId: 'trigger.two.fronts' };
    const responses = await Promise.all([a.command('Does aspirin prevent stroke?', fields), b.command('Does aspirin prevent stroke?', fields)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    await fake.waitFor(() => answersIn('C0TWOCMD').length >= 1, 10_000, 'the answer');
    await Promise.all([a.adapter.settled(), b.adapter.settled()]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(synthA.calls + synthB.calls - before).toBe(1);
    expect(answersIn('C0TWOCMD')).toHaveLength(1);
  });
});
