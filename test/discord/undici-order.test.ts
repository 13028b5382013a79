/**
 * Slack's Socket Mode client brings undici 7, whose first import installs its agent as undici's
 * process-wide default when none is set. Loaded before anything else here, it must not break the
 * Discord client's file uploads (it did, before the client got an agent of its own).
 */
import '@slack/bolt';
import { afterAll, expect, it } from 'vitest';
import { createSpecValidator } from './fake-validate.js';
import { startHarness, type Harness } from './harness.js';
import { scriptedSynthesize } from './scripted.js';

let h: Harness | undefined;
afterAll(async () => {
  await h?.close();
});

it('posts the answer with its attached report when another undici major claimed the default agent first', async () => {
  const installed = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.2')];
  expect(installed, 'undici 7 installed its default agent').toBeDefined();
  h = await startHarness({ validator: createSpecValidator(), synthesize: scriptedSynthesize() });
  h.fake.dispatchCommand({ question: 'Does vitamin D reduce fracture risk?' });
  const answer = await h.fake.waitFor(() =>
    h!.fake.requests.find((r) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body.embeds as unknown[]).length > 0),
  );
  expect(answer.status).toBe(200);
  expect(answer.files.map((f) => f.name)).toEqual(expect.arrayContaining([expect.stringMatching(/\.md$/), expect.stringMatching(/\.json$/)]));
  expect(h.fake.problems).toEqual([]);
});
