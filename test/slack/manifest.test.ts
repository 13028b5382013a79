import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMAND } from '../../adapters/slack/messages.js';

const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as {
  display_information: { name: string; description: string };
  features: { bot_user: { display_name: string }; slash_commands: { command: string; description: string; usage_hint: string }[] };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
};

describe('manifest.json', () => {
  it('declares the /synthesize command with a description and a usage hint', () => {
    const [command, ...others] = manifest.features.slash_commands;
    expect(others).toEqual([]);
    expect(command!.command).toBe(COMMAND);
    expect(command!.description.length).toBeGreaterThan(10);
    expect(command!.description.length).toBeLessThanOrEqual(100);
    expect(command!.usage_hint).toMatch(/\?$/);
  });

  it('asks for the scopes the bot uses and no more, with no user scopes', () => {
    // files:write attaches the report; chat:write also covers assistant.threads.setStatus in channels.
    // reactions:read: a thumbs up/down on an answer is feedback (reaction_added).
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['app_mentions:read', 'channels:history', 'chat:write', 'commands', 'files:write', 'groups:history', 'reactions:read']);
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
  });

  it('has a bot user, the app_mention and thread message events and interactivity (Socket Mode, so no public URL is needed)', () => {
    expect(manifest.features.bot_user.display_name).toBeTruthy();
    // message.channels / message.groups: plain replies in the bot's threads are follow-ups (channels:history, groups:history).
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_mention', 'message.channels', 'message.groups', 'reaction_added']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
  });
});
