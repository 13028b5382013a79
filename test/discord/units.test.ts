/**
 * Units of the Discord adapter: settings, text helpers (escaping, word-boundary truncation), custom
 * ids, and the renderers' limits on extreme reports, checked against the official spec as well.
 */
import { readFileSync } from 'node:fs';
import { AllowedMentionsTypes } from 'discord.js';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscordEnvSchema, loadDiscordConfig } from '../../adapters/discord/config.js';
import { claimButtonId, claimSelectId, parseCustomId, retryButtonId } from '../../adapters/discord/custom-id.js';
import { redactTokens } from '../../adapters/discord/messages.js';
import { renderClaimDetail } from '../../adapters/discord/render-claim.js';
import { renderProgress } from '../../adapters/discord/render-progress.js';
import { renderAnswerMessage } from '../../adapters/discord/render-report.js';
import { withFiles } from '../../adapters/discord/platform.js';
import { reportFiles } from '../../adapters/shared/files.js';
import { allowedMentions } from '../../adapters/discord/rest-writes.js';
import type { Answer, Report } from '../../src/model.js';
import { threadName } from '../../adapters/discord/rest-writes.js';
import { escapeDiscord, joinLinesWithin, truncateWords } from '../../adapters/discord/text.js';
import { ConfigError } from '../../src/errors.js';
import { createProgressTracker } from '../../src/progress.js';
import { checkMessageLimits, checkNoMentions, createSpecValidator } from './fake-validate.js';
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
      const { body, files } = withFiles(renderAnswerMessage(report), await reportFiles(report));
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

  const ID = '0b3e8a52-5d0c-4c1e-9a55-3f7f1e2b9c14';
  const ASKER = '400000000000000001';
  const QUESTION = 'Does vitamin D reduce fracture risk?';
  const answer: Answer = { verdict: 'yes', confidence: 'medium', basis: ['c1'], text: 'Yes: two papers find that it does [1, 2].' };

  it('leads with the asker and the bottom line with its badge in the content, then the answer text, even when it is cut', async () => {
    for (const long of [false, true]) {
      const report = { ...makeReport(ID, QUESTION, { long }), answer };
      const { body } = await renderAnswerMessage(report, { askerId: ASKER });
      expect(body.content).toBe(`<@${ASKER}> **✅ Yes (medium confidence)**`);
      expect(body.allowed_mentions).toEqual({ parse: [], users: [ASKER] });
      const [embed] = body.embeds!;
      expect(embed!.description).toBe('Yes: two papers find that it does [1, 2].');
      expect(checkMessageLimits(body as Record<string, unknown>)).toEqual([]);
      expect(validator.validate('POST', '/channels/300000000000000001/messages', body, true)).toEqual([]);
    }
    const badges = await Promise.all(
      (['yes', 'no', 'mixed', 'insufficient', 'not-applicable'] as const).map(async (verdict) => (await renderAnswerMessage({ ...makeReport(ID, QUESTION), answer: { ...answer, verdict } })).body.content!.split(' ')[0]),
    );
    expect(new Set(badges).size).toBe(5);
    // An older report without an answer: a plain heading, and the abstract as the answer text.
    const old = await renderAnswerMessage(makeReport(ID, QUESTION));
    expect(old.body.content).toBe('**Answer** · 3 claim(s) from 4 paper(s)');
    expect(old.body.allowed_mentions).toEqual({ parse: [] });
    expect(old.body.embeds![0]!.description!.startsWith('The evidence is mixed')).toBe(true);
    // Only a user id can be mentioned.
    expect((await renderAnswerMessage(makeReport(ID, QUESTION), { askerId: '@everyone' })).body.content).not.toContain('<@');
  });

  it('shows the top 3 claims with confidence in words, the rest under "All claims (N)", the number only in the detail', async () => {
    const report = { ...makeReport(ID, QUESTION, { claims: 10 }), answer: { ...answer, basis: ['c8'] } };
    const { body } = await renderAnswerMessage(report);
    const claims = body.embeds![1]!;
    expect(claims.title).toBe('Top claims (3 of 10)');
    expect(claims.description!.split('\n').map((l) => l.split(' · ').slice(0, 2).join(' · '))).toEqual([
      '**1.** ✅ supported · high confidence',
      '**2.** ❌ contradicted · high confidence',
      '**8.** ❌ contradicted · high confidence',
      '… and 7 more: pick one under **All claims (10)** below.',
    ]);
    expect(JSON.stringify(body.embeds)).not.toMatch(/0\.[38]0/);
    const rows = body.components as { components: { custom_id: string; label?: string; placeholder?: string; options?: { description: string }[] }[] }[];
    expect(rows[0]!.components.map((c) => c.label ?? (c as { emoji?: { name: string } }).emoji?.name)).toEqual(['Claim 1: evidence', 'Claim 2: evidence', 'Claim 8: evidence', '👍', '👎']);
    expect(rows[1]!.components[0]!.placeholder).toBe('All claims (10)');
    expect(rows[1]!.components[0]!.options!.map((o) => o.description.split(' · ')[1])).toContain('low confidence');
    expect(renderClaimDetail(report, report.claims[2]!).title).toBe('Claim 3: ❔ insufficient evidence (confidence 0.30)');
    // Three claims or fewer: buttons only.
    expect((await renderAnswerMessage(makeReport(ID, QUESTION))).body.components).toHaveLength(1);
  });

  it('shows a claim that is its own quote once, as the verbatim quote', () => {
    const base = makeReport(ID, QUESTION);
    const claim = { ...base.claims[0]!, text: base.claims[0]!.quote };
    const detail = renderClaimDetail({ ...base, claims: [claim] }, claim).description!;
    expect(detail.split('Vitamin D supplementation lowered').length - 1).toBe(1);
    expect(detail.startsWith('Verbatim from [1]')).toBe(true);
    expect(renderClaimDetail(base, base.claims[0]!).description!.startsWith('**Claim 1: vitamin D')).toBe(true);
  });

  it('links every source it can (DOI, URL, PubMed, arXiv), shows id and year for the rest, and no report id', async () => {
    const base = makeReport(ID, QUESTION);
    const references = [
      { id: 'openalex:W1', title: 'By DOI', authors: [], year: 2001, doi: '10.1000/xyz' },
      { id: 'pubmed:123456', title: 'By PubMed id', authors: [], year: 2002 },
      { id: 'arxiv:2101.00001', title: 'By arXiv id', authors: [], year: 2003 },
      { id: 'scifact:4983', title: 'From the corpus', authors: [], year: 2012 },
      { id: 'corpus:9', title: 'By URL', authors: [], year: 2005, url: 'https://example.org/paper' },
    ];
    const claims = base.claims.map((c, i) => ({ ...c, paperId: references[i + 1]!.id, verification: { ...c.verification, evidence: [] } }));
    const report: Report = { ...base, references, claims };
    const { body } = await renderAnswerMessage(report);
    expect(body.embeds![0]!.fields!.find((f) => f.name === 'Sources')!.value.split('\n')).toEqual([
      '[1] By DOI (2001) <https://doi.org/10.1000/xyz>',
      '[2] By PubMed id (2002) <https://pubmed.ncbi.nlm.nih.gov/123456/>',
      '[3] By arXiv id (2003) <https://arxiv.org/abs/2101.00001>',
      '[4] From the corpus (2012) · scifact:4983',
      '[5] By URL (2005) <https://example.org/paper>',
    ]);
    expect(renderClaimDetail(report, claims[0]!).url).toBe('https://pubmed.ncbi.nlm.nih.gov/123456/');
    expect(renderClaimDetail(report, claims[2]!).url).toBeUndefined();
    expect(JSON.stringify([body.content, body.embeds])).not.toContain(ID.slice(0, 8));
    expect(JSON.stringify(body.components)).toContain(ID);
  });

  it('cannot ping anyone but the asker, whatever the papers say', async () => {
    const ping = 'Fractures fell <@999999999999999999> <@!999999999999999999> <@&999999999999999999> @everyone @here';
    const base = makeReport(ID, `${QUESTION} ${ping}`, { claims: 5 });
    const report: Report = {
      ...base,
      answer: { ...answer, text: `Yes ${ping} [1].` },
      claims: base.claims.map((c) => ({ ...c, text: `${c.text} ${ping}`, quote: `${c.quote} ${ping}` })),
      references: base.references.map((r) => ({ ...r, title: `${r.title} ${ping}` })),
      reviews: [{ reviewer: `coverage ${ping}`, score: 5, rationale: ping }],
    };
    const { body } = await renderAnswerMessage(report, { askerId: ASKER });
    expect(checkNoMentions(body as Record<string, unknown>, new Set([ASKER]))).toEqual([]);
    expect([...JSON.stringify(body).matchAll(/<@[!&]?\d+>/g)].map((m) => m[0])).toEqual([`<@${ASKER}>`]);
    // No paper text reaches the content (the only place a mention could ping); embeds never ping, and parse: [] stops @everyone.
    expect(body.content).toBe(`<@${ASKER}> **✅ Yes (medium confidence)**`);
    for (const claim of report.claims) expect(JSON.stringify(renderClaimDetail(report, claim))).not.toMatch(/<@[!&]?\d+>/);
    // The writer lets through only a listed user whom the content mentions, never roles or everyone.
    expect(allowedMentions(body)).toEqual({ parse: [], replied_user: false, users: [ASKER] });
    expect(allowedMentions({ ...body, allowed_mentions: { parse: [AllowedMentionsTypes.Everyone], users: ['999999999999999999'], roles: ['999999999999999999'] } })).toEqual({ parse: [], replied_user: false });
  });
});
