/**
 * The bot-token writer over discord.js's REST client against the fake's rate limits: a burst of
 * thread creations in one channel (every run's thread starts in the channel where it was asked)
 * hits 429s, and none of its requests is sent after a 429 before that window's reset.
 */
import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordWriter } from '../../adapters/discord/rest-writes.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

let fake: FakeDiscord;
beforeAll(async () => {
  fake = await startFakeDiscord({
    validate: false,
    rateLimits: {
      'POST /channels/:id/messages/:id/threads': { limit: 8, enforced: 3, windowMs: 250 },
      'POST /channels/:id/messages': { limit: 3, windowMs: 250 },
    },
  });
});
afterAll(async () => {
  await fake.close();
});

describe('rate-limited writes', () => {
  it('honours every 429 in a burst on one bucket, even before discord.js knows the bucket', async () => {
    const rest = new REST({ api: fake.apiUrl }).setToken(fake.token);
    const writer = createDiscordWriter(rest);
    const parents = Array.from({ length: 12 }, (_, i) => fake.dispatchMessage({ content: `question ${i}` }));
    // Requests keep arriving while earlier ones wait: some before discord.js learns the bucket, some after.
    const threads = await Promise.all(
      parents.map(async (m, i) => {
        if (i >= 6) await new Promise((r) => setTimeout(r, 10 + (i - 6) * 10));
        return writer.startThread(fake.channelId, m.id, `Research: question ${i}`);
      }),
    );
    expect(threads).toEqual(parents.map((m) => m.id));
    await Promise.all(parents.map((m) => writer.send({ channelId: fake.channelId, replyTo: m.id }, { body: { content: 'progress' } })));
    expect(fake.limiter.stats.limited).toBeGreaterThan(0);
    expect(fake.limiter.stats.violations).toBe(0);
    expect(fake.problems).toEqual([]);
  });
});
