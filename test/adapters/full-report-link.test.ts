/**
 * With the web adapter public (`PUBLIC_URL`), Slack and Discord answers link to the report's page
 * ("Full report"), signed; without it they do not link anywhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { discordRenderer } from '../../adapters/discord/platform.js';
import { slackRenderer } from '../../adapters/slack/platform.js';
import { makeReport } from '../slack/scripted.js';

const ID = '0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c11';
const saved = { PUBLIC_URL: process.env.PUBLIC_URL, WEB_SECRET: process.env.WEB_SECRET };
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('the "Full report" link of chat answers', () => {
  it('points Slack and Discord answers at the signed report page when PUBLIC_URL is set', () => {
    process.env.PUBLIC_URL = 'https://synth.example.org';
    process.env.WEB_SECRET = 'a'.repeat(40);
    const report = makeReport({ id: ID });
    const slack = JSON.stringify(slackRenderer.answer(report, { asker: 'U0ASKER' }).blocks);
    expect(slack).toMatch(new RegExp(`<https://synth\\.example\\.org/reports/${ID}\\?[^|>]+\\|Full report>`));
    const discord = discordRenderer.answer(report, { asker: '400000000000000001' });
    expect(discord.body.embeds![0]!.url).toMatch(new RegExp(`^https://synth\\.example\\.org/reports/${ID}\\?`));
  });

  it('links nowhere without PUBLIC_URL', () => {
    delete process.env.PUBLIC_URL;
    const report = makeReport({ id: ID });
    expect(JSON.stringify(slackRenderer.answer(report, { asker: 'U0ASKER' }).blocks)).not.toContain('Full report>');
    expect(discordRenderer.answer(report, { asker: '400000000000000001' }).body.embeds![0]!.url).toBeUndefined();
  });
});
