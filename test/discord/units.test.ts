/**
 * Units of the Discord adapter: settings, text helpers (escaping, word-boundary truncation), custom
 * ids, and the renderers' limits on extreme reports, checked against the official spec as well.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscordEnvSchema, loadDiscordConfig } from '../../adapters/discord/config.js';
import { claimButtonId, claimSelectId, parseCustomId, retryButtonId } from '../../adapters/discord/custom-id.js';
import { redactTokens } from '../../adapters/discord/messages.js';
import { renderClaimDetail } from '../../adapters/discord/render-claim.js';
import { renderProgress } from '../../adapters/discord/render-progress.js';
import { renderAnswerEmbeds, renderAnswerMessage } from '../../adapters/discord/render-report.js';
import { threadName } from '../../adapters/discord/rest-writes.js';
import { escapeDiscord, joinLinesWithin, truncateWords } from '../../adapters/discord/text.js';
import { ConfigError } from '../../src/errors.js';
import { createProgressTracker } from '../../src/progress.js';
import { checkMessageLimits, createSpecValidator } from './fake-validate.js';
import { makeReport } from './scripted.js';

const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDQy.GfakeA.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
const APP = '100000000000000042';

describe('settings', () => {
  it('is off without DISCORD_TOKEN and parses a full configuration', () => {
    expect(loadDiscordConfig({})).toBeUndefined();
    expect(loadDiscordConfig({ DISCORD_TOKEN: '  ' })).toBeUndefined();
    expect(loadDiscordConfig({ DISCORD_TOKEN: `Bot ${TOKEN}`, DISCORD_APPLICATION_ID: APP, DISCORD_GUILD_ID: '', DISCORD_API_URL: 'http://127.0.0.1:9/api/' })).toEqual({
      DISCORD_TOKEN: TOKEN,
      DISCORD_APPLICATION_ID: APP,
      DISCORD_API_URL: 'http://127.0.0.1:9/api',
    });
  });

  it('names the variable and the fix when a value is missing or malformed', () => {
    expect(() => loadDiscordConfig({ DISCORD_TOKEN: TOKEN })).toThrow(ConfigError);
    expect(() => loadDiscordConfig({ DISCORD_TOKEN: TOKEN })).toThrow(/^DISCORD_APPLICATION_ID: is missing: copy the Application ID/);
    expect(() => loadDiscordConfig({ DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: APP, DISCORD_GUILD_ID: 'my-server' })).toThrow(/^DISCORD_GUILD_ID: must be the server \(guild\) id/);
    expect(() => loadDiscordConfig({ DISCORD_TOKEN: 'short-secret', DISCORD_APPLICATION_ID: APP })).toThrow(/^DISCORD_TOKEN: does not look like a bot token \(Developer Portal → Bot → Reset Token\)\.$/);
    expect(() => loadDiscordConfig({ DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: APP, DISCORD_API_URL: 'ftp://x' })).toThrow(/^DISCORD_API_URL/);
  });

  it('lists every Discord variable in .env.example and nothing else under DISCORD_', () => {
    const example = readFileSync(resolve(import.meta.dirname, '..', '..', '.env.example'), 'utf8');
    const listed = [...example.matchAll(/^(DISCORD_[A-Z_]+)=/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(DiscordEnvSchema.shape).sort());
  });
});

describe('text', () => {
  it('truncates at word boundaries, never mid-word, within the limit', () => {
    const text = 'Vitamin D supplementation reduced hip fractures in older adults';
    for (let max = 5; max <= text.length + 2; max++) {
      const out = truncateWords(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      if (out !== text) {
        expect(out.endsWith('…')).toBe(true);
        const kept = out.slice(0, -1);
        // Only a first word longer than the room is cut inside (there is no boundary to cut at).
        if (text.indexOf(' ') < max - 1) expect(text.startsWith(kept) && /\s/.test(text[kept.length] ?? ' ')).toBe(true);
      }
    }
    expect(truncateWords('a'.repeat(10) + '😀'.repeat(5), 12)).toBe(`${'a'.repeat(10)}…`);
    expect(truncateWords('short', 10)).toBe('short');
  });

  it('escapes markdown and tags so user and paper text renders literally', () => {
    expect(escapeDiscord('**bold** _it_ `code` ~~s~~ ||spoiler|| [x](https://y) <t:1:R> <@123456789012345678>')).toBe(
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\[x](https://y) \\<t:1:R> @123456789012345678',
    );
    expect(escapeDiscord('# heading')).toBe('\\# heading');
    expect(escapeDiscord('> quote')).toBe('\\> quote');
  });

  it('drops whole lines with a note rather than cutting one', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const out = joinLinesWithin(lines, 100, (n) => `… ${n} more`);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out.split('\n').at(-1)).toMatch(/^… \d+ more$/);
    for (const line of out.split('\n').slice(0, -1)) expect(lines).toContain(line);
  });

  it('keeps thread names within 100 characters and plain', () => {
    const name = threadName(`Does **this** ${'very '.repeat(40)}long question work?`);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^Research: Does \*\*this\*\* very/);
    expect(name.endsWith('…')).toBe(true);
  });

  it('redacts interaction tokens and bot tokens from error text', () => {
    expect(redactTokens(`PATCH /webhooks/123/abcDEF_123/messages/@original ${TOKEN}`)).toBe('PATCH /webhooks/123/[redacted]/messages/@original [redacted]');
  });
});

describe('custom ids', () => {
  it('carry only ids, fit 100 characters and parse back', () => {
    const report = '0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c11';
    expect(parseCustomId(claimButtonId(report, 'c12'))).toEqual({ kind: 'claim', reportId: report, claimId: 'c12' });
    expect(parseCustomId(claimSelectId(report, 1))).toEqual({ kind: 'claims', reportId: report });
    expect(parseCustomId(retryButtonId(report))).toEqual({ kind: 'retry', jobId: report });
    expect(parseCustomId('other:thing')).toBeUndefined();
    expect(parseCustomId('claim:../../x:c1')).toBeUndefined();
    expect(() => claimButtonId('x'.repeat(95), 'c1')).toThrow(/longer than 100/);
  });
});

describe('renderers within limits', () => {
  const validator = createSpecValidator();
  const cases = [
    { name: 'typical', report: makeReport('0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c11', 'Does vitamin D reduce fracture risk?') },
    { name: 'huge', report: makeReport('0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c12', 'q'.repeat(1000), { claims: 200, papers: 150, long: true }) },
    { name: 'empty', report: { ...makeReport('0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c13', 'Nothing?'), claims: [], references: [], reviews: [] } },
  ];
  for (const { name, report } of cases) {
    it(`renders the ${name} answer within every limit and the spec`, async () => {
      const { body, files } = await renderAnswerMessage(report);
      expect(checkMessageLimits(body as Record<string, unknown>)).toEqual([]);
      expect(validator.validate('POST', '/channels/300000000000000001/messages', body, true)).toEqual([]);
      expect(files!.length).toBe(body.attachments!.length);
      const text = JSON.stringify(body.embeds);
      expect(text).not.toMatch(/<@\d/);
      for (const claim of report.claims.slice(0, 3)) {
        const detail = renderClaimDetail(report, claim);
        expect(checkMessageLimits({ embeds: [detail] })).toEqual([]);
      }
    });
  }

  it('renders progress within 2,000 characters even with many warnings and long errors', () => {
    const tracker = createProgressTracker();
    const base = { runId: 'r', elapsedMs: 1000 };
    tracker.apply({ ...base, type: 'stage-started', stage: 'search' });
    for (let i = 0; i < 50; i++) tracker.apply({ ...base, type: 'source-finished', source: `source${i}`, status: 'failed', found: 0, error: 'x'.repeat(200), ms: 1 });
    for (let i = 0; i < 20; i++) tracker.apply({ ...base, type: 'warning', code: 'w', message: `warning ${i} ${'y'.repeat(300)}` });
    tracker.apply({ ...base, type: 'run-failed', code: 'all_sources_failed', message: 'z'.repeat(3000) });
    const text = renderProgress(tracker.snapshot());
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text.startsWith('**Run failed** after 1.0 s')).toBe(true);
  });

  it('leads the answer embed with the bottom line when the report has an answer, even when the text is cut', () => {
    const answer = { verdict: 'yes' as const, confidence: 'medium' as const, basis: ['c1'], text: 'Yes: two papers find that it does [1, 2].' };
    for (const long of [false, true]) {
      const report = { ...makeReport('0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c14', 'Does vitamin D reduce fracture risk?', { long }), answer };
      const [embed] = renderAnswerEmbeds(report);
      expect(embed!.description!.startsWith('**Yes (medium confidence)**\n')).toBe(true);
      expect(checkMessageLimits({ embeds: renderAnswerEmbeds(report) })).toEqual([]);
    }
    // An older report without an answer starts with the abstract itself.
    const [plain] = renderAnswerEmbeds(makeReport('0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c15', 'Does vitamin D reduce fracture risk?'));
    expect(plain!.description!.startsWith('The evidence is mixed')).toBe(true);
  });
});
