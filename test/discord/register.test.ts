/**
 * `npm run discord:register`: a bulk overwrite of the `/synthesize` command, guild-scoped when
 * DISCORD_GUILD_ID is set, validated against the official spec by the fake; running it twice
 * changes nothing. Also: `npm start` knows the Discord adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_MODULES } from '../../adapters/modules.js';
import { startAdapters } from '../../adapters/start.js';
import { loadDiscordConfig } from '../../adapters/discord/config.js';
import { runRegister } from '../../adapters/discord/register.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

let fake: FakeDiscord;
beforeAll(async () => {
  fake = await startFakeDiscord();
});
afterAll(async () => {
  await fake.close();
});

describe('discord:register', () => {
  it('registers /synthesize in the guild, idempotently, with the question option and the filters', async () => {
    const config = loadDiscordConfig({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_GUILD_ID: fake.guildId, DISCORD_API_URL: fake.apiUrl })!;
    expect(await runRegister(config)).toBe(`Registered /synthesize in server ${fake.guildId} (available now).`);
    const firstIds = [...fake.commands.values()].map((c) => c.id);
    await runRegister(config);
    const calls = fake.calls('PUT /applications/:id/guilds/:id/commands');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.auth).toBe('bot');
    expect(calls[0]!.body).toEqual(calls[1]!.body);
    expect([...fake.commands.values()].map((c) => c.id)).toEqual(firstIds);
    const [command] = calls[0]!.body as unknown as { name: string; options: { name: string; type: number; required?: boolean; max_length?: number }[] }[];
    expect(command!.name).toBe('synthesize');
    expect(command!.options.map((o) => [o.name, o.type, o.required ?? false])).toEqual([
      ['question', 3, true],
      ['year_from', 4, false],
      ['year_to', 4, false],
      ['max_papers', 4, false],
    ]);
    expect(command!.options[0]!.max_length).toBe(1000);
    expect(fake.problems).toEqual([]);
  });

  it('registers globally without DISCORD_GUILD_ID', async () => {
    const config = loadDiscordConfig({ DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_API_URL: fake.apiUrl })!;
    expect(await runRegister(config)).toMatch(/^Registered \/synthesize globally/);
    expect(fake.calls('PUT /applications/:id/commands')).toHaveLength(1);
    expect(fake.problems).toEqual([]);
  });

  it('is one of the adapters npm start runs, enabled by DISCORD_TOKEN', async () => {
    const discord = ADAPTER_MODULES.find((m) => m.name === 'discord')!;
    expect(discord.variables).toContain('DISCORD_TOKEN');
    expect((discord as unknown as { loadConfig: (env: object) => unknown }).loadConfig({})).toBeUndefined();
    const started = await startAdapters({
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      STORE_URL: 'memory://',
      SYNTH_SOURCES: 'none',
      LOG_LEVEL: 'silent',
    });
    try {
      expect(started.adapters.map((a) => a.name)).toEqual(['discord']);
      expect(fake.calls('GET /gateway/bot').length).toBeGreaterThan(0);
    } finally {
      await started.stop();
    }
  });
});
