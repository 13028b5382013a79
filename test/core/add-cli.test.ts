/**
 * `synthesize add --report F <id>`: a paper fetched by id and added to a real SciFact run's saved JSON
 * report, through the CLI; the corpus and the live sources (the loopback fake) as where it is looked up;
 * every error path with its exit code.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../../src/model.js';
import { startFakeScholarlyServer, type FakeScholarlyServer } from '../fakes/scholarly-server.js';
import { runCli } from '../helpers/cli.js';
import { SCIFACT } from '../helpers/paths.js';

const QUESTION = 'Does aspirin reduce the risk of colorectal cancer?';
const OFFLINE = ['--offline', '--corpus', SCIFACT.corpus];

let dir: string;
let reportFile: string;
let original: Report;
let fake: FakeScholarlyServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'add-cli-'));
  reportFile = join(dir, 'report.json');
  const { code, stderr } = await runCli([...OFFLINE, '--max-papers', '3', '--format', 'json', '--out', reportFile, '-q', QUESTION]);
  expect(code, stderr).toBe(0);
  original = ReportSchema.parse(JSON.parse(await readFile(reportFile, 'utf8')));
  fake = await startFakeScholarlyServer();
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('synthesize add (SciFact report)', () => {
  it('adds a corpus paper by its SciFact id: the new report on stdout, what changed on stderr', async () => {
    const { code, stdout, stderr } = await runCli(['add', '--report', reportFile, ...OFFLINE, '--format', 'json', '7613033']);
    expect(code, stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.addition).toEqual({ of: original.id, paper: 'corpus:7613033', requested: '7613033', source: 'corpus' });
    expect(report.question).toBe(original.question);
    expect(report.id).not.toBe(original.id);
    expect(report.methodology.sources.map((s) => s.name)).toEqual(['thread', 'added']);
    const n = report.references.findIndex((r) => r.id === 'corpus:7613033') + 1;
    expect(stderr).toContain('Looking up PubMed id 7613033 in corpus...');
    expect(stderr).toContain('Found PubMed id 7613033 in corpus.');
    expect(stderr).toMatch(/search: added ok, 1 records/);
    expect(stderr).toMatch(new RegExp(`^Added \\[${n}\\] “Aspirin in the chemoprevention of colorectal neoplasia: an overview”\\. \\d+ new claims? .*; the answer .*\\.$`, 'm'));
  });

  it('prints Markdown by default, saying what it adds to; -q keeps only what changed', async () => {
    const { code, stdout, stderr } = await runCli(['add', '--report', reportFile, ...OFFLINE, '-q', 'corpus:7613033']);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^# Evidence synthesis: Does aspirin reduce the risk of colorectal cancer\?/);
    expect(stdout).toMatch(new RegExp(`\\*\\*Addition\\*\\* to report ${original.id}: paper \\[\\d+\\] added \\(asked for as "corpus:7613033", from corpus\\); `));
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Added \[\d+\] “Aspirin/);
  });

  it('writes --out, and the saved report can take another addition', async () => {
    const next = join(dir, 'added.json');
    const first = await runCli(['add', '--report', reportFile, ...OFFLINE, '--format', 'json', '--out', next, '-q', 'corpus:7613033']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    const saved = ReportSchema.parse(JSON.parse(await readFile(next, 'utf8')));
    const again = await runCli(['add', '--report', next, '--format', 'json', 'corpus:7613033']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^\[\d+\] “Aspirin in the chemoprevention of colorectal neoplasia: an overview” is already in the report; nothing was re-run\.$/m);
    expect(ReportSchema.parse(JSON.parse(again.stdout)).id).toBe(saved.id);
  });

  it('a paper the report has needs no lookup (nothing configured, no network)', async () => {
    const first = original.references[0]!;
    const { code, stdout, stderr } = await runCli(['add', '--report', reportFile, '--offline', '--format', 'json', first.id]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^\[1\] .* is already in the report; nothing was re-run\.$/m);
    expect(ReportSchema.parse(JSON.parse(stdout)).id).toBe(original.id);
  });

  it('a paper from a live source (the recorded OpenAlex work): fetched, screened out as off-topic, the report unchanged', async () => {
    const { code, stdout, stderr } = await runCli(['add', '--report', reportFile, '--sources', 'openalex,crossref', '--format', 'json', 'doi:10.1016/j.addr.2015.01.008'], fake.env);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Looking up DOI 10.1016/j.addr.2015.01.008 in openalex, crossref...');
    expect(stderr).toContain('Found DOI 10.1016/j.addr.2015.01.008 in openalex.');
    expect(stderr).toMatch(/^.+ was not included: screening found it off the question's topic .*, so the report is unchanged\.$/m);
    expect(ReportSchema.parse(JSON.parse(stdout)).id).toBe(original.id);
    expect(fake.requestsFor('openalex').map((r) => r.path)).toContain('/works/https://doi.org/10.1016%2Fj.addr.2015.01.008');
  });

  it.each([
    [['add', '--report', 'REPORT'], 2, /^synthesize: Give the paper to add: a DOI/m],
    [['add', '--report', 'REPORT', 'foo'], 2, /^synthesize: Not a paper id: "foo"\. Give a DOI \(10\.1056\/NEJMoa2034577\)/m],
    [['add', '10.1056/NEJMoa2034577'], 2, /required option '--report <file>' not specified/],
    [['add', '--report', 'REPORT', '--offline', '10.1056/NEJMoa2034577'], 2, /^synthesize: Nothing to look the paper up in: give --corpus FILE/m],
    [['add', '--report', 'REPORT', '--sources', 'scholar', '10.1056/NEJMoa2034577'], 2, /unknown source\(s\) scholar/],
    [['add', '--report', 'REPORT', '--format', 'pdf', '10.1056/NEJMoa2034577'], 2, /Allowed choices are markdown, json/],
    [['add', '--report', '/no/such/report.json', '10.1056/NEJMoa2034577'], 1, /^synthesize: Cannot read report \/no\/such\/report\.json: no such file\.$/m],
    [['add', '--report', 'REPORT', ...OFFLINE, '99999999'], 1, /^synthesize: Not found: PubMed id 99999999 \(looked in corpus\)\.$/m],
    [['add', '--report', 'REPORT', ...OFFLINE, 'A title that no paper of the corpus has'], 1, /^synthesize: Not found: the title "A title that no paper of the corpus has" \(looked in corpus\)\.$/m],
  ])('%j exits %i', async (args, exit, message) => {
    const { code, stdout, stderr } = await runCli(args.map((a) => (a === 'REPORT' ? reportFile : a)));
    expect(code).toBe(exit);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('a file that is not a JSON report: one line naming it, exit 1', async () => {
    const markdown = join(dir, 'report.md');
    await writeFile(markdown, '# Evidence synthesis\n');
    const notJson = await runCli(['add', '--report', markdown, ...OFFLINE, '7613033']);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(new RegExp(`^synthesize: ${markdown.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not JSON \\(.*\\); pass a report written with --format json\\.$`, 'm'));
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ hello: 'world' }));
    const invalid = await runCli(['add', '--report', other, ...OFFLINE, '7613033']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/is not a synthesize JSON report \(field "schemaVersion": /);
  });

  it('every source asked failed: exit 1 naming each with its reason', async () => {
    fake.reset();
    fake.fault('openalex', { kind: 'invalid' });
    fake.fault('crossref', { kind: 'schema' });
    const { code, stdout, stderr } = await runCli(['add', '--report', reportFile, '--sources', 'openalex,crossref', '10.1073/pnas.1414271111'], fake.env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^synthesize: Could not look DOI 10\.1073\/pnas\.1414271111 up: openalex failed \(malformed JSON .*\); crossref failed \(unexpected response shape .*\)\.$/m,
    );
    fake.reset();
  });

  it('a report saved without its papers\' abstracts: exit 1, saying why', async () => {
    const old = join(dir, 'old.json');
    await writeFile(old, JSON.stringify({ ...original, references: original.references.map(({ abstract: _abstract, ...r }) => r) }));
    const { code, stdout, stderr } = await runCli(['add', '--report', old, ...OFFLINE, '7613033']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^synthesize: Report .* was saved without its papers' abstracts .*; run its question again instead\.$/m);
  });
});
