/**
 * `synthesize followup`: follow-ups to a real SciFact run's saved JSON report, through the CLI.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { SCIFACT } from '../helpers/paths.js';

const QUESTION = 'Does vitamin D supplementation reduce fracture risk?';

let dir: string;
let reportFile: string;
let original: Report;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'followup-cli-'));
  reportFile = join(dir, 'report.json');
  const { code, stderr } = await runCli(['--offline', '--corpus', SCIFACT.corpus, '--format', 'json', '--out', reportFile, '-q', QUESTION]);
  expect(code, stderr).toBe(0);
  original = ReportSchema.parse(JSON.parse(await readFile(reportFile, 'utf8')));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('synthesize followup (SciFact report)', () => {
  it("the saved report carries every included paper's abstract", () => {
    expect(original.references.length).toBe(original.methodology.included);
    expect(original.references.length).toBeGreaterThan(0);
    expect(original.references.every((r) => (r.abstract ?? '').length > 100)).toBe(true);
  });

  it("answers a fragment from the report's papers, as JSON, without searching anything", async () => {
    const { code, stdout, stderr } = await runCli(['followup', '--report', reportFile, '--format', 'json', 'over', '65?']);
    expect(code, stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.question).toBe('Does vitamin D supplementation reduce fracture risk in people over 65?');
    expect(report.followUp).toEqual({ of: original.id, question: 'over 65?', scope: 'thread' });
    expect(report.methodology.sources.map((s) => s.name)).toEqual(['thread']);
    const ids = new Set(original.references.map((r) => r.id));
    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.claims.every((c) => ids.has(c.paperId) && c.verification.evidence.every((e) => ids.has(e.paperId)))).toBe(true);
    expect(report.answer?.verdict).not.toBe('insufficient');
    expect(stderr).toContain('Read as: Does vitamin D supplementation reduce fracture risk in people over 65?');
    expect(stderr).toMatch(new RegExp(`Answered from the ${original.references.length} paper\\(s\\) of report ${original.id}\\.`));
    expect(stderr).toMatch(/search: thread ok, \d+ records/);
  });

  it('prints Markdown by default, saying what it follows, without the abstracts', async () => {
    const { code, stdout } = await runCli(['followup', '--report', reportFile, '-q', 'does the effect hold for people over 65?']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# Evidence synthesis: Does vitamin D supplementation reduce fracture risk in people over 65\?/);
    expect(stdout).toContain(`**Follow-up** to report ${original.id}, asked as "does the effect hold for people over 65?"; answered from the papers of that report only.`);
    for (const section of ['## Answer', '## Methodology', '## Claims', '## References']) expect(stdout).toContain(section);
    // A whole abstract is never printed (claims quote single sentences).
    for (const ref of original.references) expect(stdout).not.toContain(ref.abstract!);
  });

  it('says plainly when the papers do not answer and no source is configured (exit 0, no score)', async () => {
    const { code, stdout, stderr } = await runCli(['followup', '--report', reportFile, '--format', 'json', 'what about in children?']);
    expect(code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.followUp?.scope).toBe('thread');
    expect(report.abstract).toMatch(/^The papers of this thread do not answer "Does vitamin D supplementation reduce fracture risk in children\?"; nothing further was found/);
    expect(report.qualityScore).toBe(0);
    expect(report.reviews).toEqual([]);
    expect(stderr).toMatch(/Nothing answers it: The papers of this thread do not answer/);
  });

  it('widens to the configured corpus when the papers do not answer', async () => {
    const { code, stdout, stderr } = await runCli(['followup', '--report', reportFile, '--offline', '--corpus', SCIFACT.corpus, '--format', 'json', 'what about in children?']);
    expect(code, stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.followUp).toEqual({ of: original.id, question: 'what about in children?', scope: 'widened' });
    expect(report.methodology.sources.map((s) => s.name)).toEqual(['corpus']);
    expect(stderr).toMatch(/The papers of this thread do not answer .*; searching the configured sources\./);
    // --no-widen keeps to the thread.
    const kept = await runCli(['followup', '--report', reportFile, '--offline', '--corpus', SCIFACT.corpus, '--no-widen', '--format', 'json', '-q', 'what about in children?']);
    expect(ReportSchema.parse(JSON.parse(kept.stdout)).followUp?.scope).toBe('thread');
  });

  it('does not search the default live sources unless they are configured', async () => {
    // SYNTH_SOURCES unset: the default of five live sources is not a configuration to widen to.
    const { code, stdout } = await runCli(['followup', '--report', reportFile, '--format', 'json', '-q', 'what about in children?'], { CONTACT_EMAIL: 'x@example.org' });
    expect(code).toBe(0);
    expect(ReportSchema.parse(JSON.parse(stdout)).methodology.sources.map((s) => s.name)).toEqual(['thread']);
  });

  it('answers an old report (no abstracts) only by widening, and says so', async () => {
    const old = join(dir, 'old.json');
    await writeFile(old, JSON.stringify({ ...original, references: original.references.map(({ abstract: _abstract, ...r }) => r) }));
    const refused = await runCli(['followup', '--report', old, 'over 65?']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`synthesize: ${old} was saved without its papers' abstracts`);
    expect(refused.stderr).toMatch(/give --corpus FILE or --sources LIST/);
    const widened = await runCli(['followup', '--report', old, '--offline', '--corpus', SCIFACT.corpus, '--format', 'json', 'over 65?']);
    expect(widened.code, widened.stderr).toBe(0);
    expect(widened.stderr).toContain(`${old} was saved without its papers' abstracts; answering from the configured sources.`);
    const report = ReportSchema.parse(JSON.parse(widened.stdout));
    expect(report.followUp?.scope).toBe('widened');
    expect(report.limitations[0]).toMatch(/that report was saved without its papers' abstracts, so the configured sources were searched\./);
  });

  it.each([
    [['followup', '--report', '/no/such/report.json', 'over 65?'], 1, /^synthesize: Cannot read report \/no\/such\/report\.json: no such file\.$/m],
    [['followup', '--report', '/tmp', 'over 65?'], 1, /^synthesize: Cannot read report \/tmp: it is a directory\.$/m],
    [['followup', 'over 65?'], 2, /required option '--report <file>' not specified/],
    [['followup', '--report', 'REPORT', ''], 2, /follow-up question is empty/],
    [['followup', '--report', 'REPORT'], 2, /follow-up question is empty/],
    [['followup', '--report', 'REPORT', '<!channel> \u0007???'], 2, /names nothing to ask about/],
    [['followup', '--report', 'REPORT', 'thanks!'], 2, /reads as a reply, not a question/],
    [['followup', '--report', 'REPORT', 'explain claim 2'], 2, /thread command/],
    [['followup', '--report', 'REPORT', 'x'.repeat(1001)], 2, /limit is 1000/],
    [['followup', '--report', 'REPORT', '--format', 'pdf', 'over 65?'], 2, /Allowed choices are markdown, json/],
    [['followup', '--report', 'REPORT', '--sources', 'scholar', 'over 65?'], 2, /unknown source\(s\) scholar/],
  ])('%j exits %i with a clear message', async (args, exit, message) => {
    const { code, stdout, stderr } = await runCli((args as string[]).map((a) => (a === 'REPORT' ? reportFile : a)));
    expect(code).toBe(exit);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message as RegExp);
    expect(stderr).not.toContain('\u001b');
  });

  it('cleans control characters and escape sequences out of the follow-up, as the main question', async () => {
    const { code, stdout, stderr } = await runCli(['followup', '--report', reportFile, '-q', '--format', 'json', 'over\u001b]0;pwned\u0007 65?\u009b2J']);
    expect(code, stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point.
    expect(stdout).not.toMatch(/[\u0000-\u0008\u001b\u007f-\u009f]/);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point.
    expect(ReportSchema.parse(JSON.parse(stdout)).followUp?.question).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('names a report file that is not JSON, or JSON that is not a report (exit 1)', async () => {
    const md = join(dir, 'report.md');
    await writeFile(md, '# Evidence synthesis: something\n');
    const notJson = await runCli(['followup', '--report', md, 'over 65?']);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(new RegExp(`^synthesize: ${md.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not JSON \\(.*\\); pass a report written with --format json\\.$`, 'm'));
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...original, claims: 'none' }));
    const notReport = await runCli(['followup', '--report', other, 'over 65?']);
    expect(notReport.code).toBe(1);
    expect(notReport.stderr).toMatch(/is not a synthesize JSON report \(field "claims": .*\)\./);
  });
});
