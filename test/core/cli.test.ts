import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, ROOT, SCIFACT } from '../helpers/paths.js';

const CORPUS = join(FIXTURES, 'corpus/exercise.jsonl');
const Q = 'Does exercise reduce depressive symptoms in adults?';
const run = promisify(execFile);

describe('synthesize (CLI contract)', () => {
  it('prints the JSON report on stdout and progress on stderr, exit 0', async () => {
    const { code, stdout, stderr } = await runCli(['--offline', '--corpus', CORPUS, '--format', 'json', Q]);
    expect(code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.question).toBe(Q);
    expect(report.methodology.sources.find((s) => s.name === 'openalex')).toMatchObject({ status: 'skipped', error: 'offline' });
    // Not a TTY: one plain line per event.
    expect(stderr).toMatch(/^\[0\.\ds\] researching: Does exercise/m);
    expect(stderr).toMatch(/verify: claim 1 of \d/);
    expect(stderr).toMatch(/finished: \d+ claims, quality [\d.]+\/10/);
  });

  it('prints Markdown by default, takes the question as several words, and writes --out files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const out = join(dir, 'report.md');
    const { code, stdout, stderr } = await runCli(['--offline', '--corpus', CORPUS, '--out', out, ...Q.split(' ')]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain(`Report written to ${out}`);
    const md = await readFile(out, 'utf8');
    expect(md).toMatch(/^# Evidence synthesis: Does exercise reduce/);
    for (const section of ['## Answer', '## Methodology', '## Claims', '## Reviews', '## Limitations', '## Gaps', '## References']) {
      expect(md).toContain(section);
    }
  });

  it('draws one live line per stage on a TTY', async () => {
    const { stderr } = await runCli(['--offline', '--corpus', CORPUS, '--format', 'json', Q], {}, { isTTY: true });
    const finalLines = stderr.split('\n').map((l) => l.split('\r\x1b[K').at(-1)!).filter(Boolean);
    expect(finalLines.filter((l) => l.startsWith('✓'))).toHaveLength(8);
    expect(finalLines[1]).toMatch(/^✓ Searching: corpus \d+, openalex skipped \(offline\)/);
    expect(stderr).toContain('\r\x1b[K');
  });

  it.each([
    [['--offline', '--corpus', CORPUS], /question is empty/],
    [['--offline', '--corpus', CORPUS, '   '], /question is empty/],
    [['--offline', '--corpus', CORPUS, 'x'.repeat(1001)], /limit is 1000/],
    [['--offline', '--corpus', CORPUS, '@channel', '???'], /names nothing to search for/],
    [['--bogus', Q], /unknown option '--bogus'/],
    [['--max-papers', 'zero', '--offline', '--corpus', CORPUS, Q], /--max-papers must be a whole number/],
    [['--format', 'pdf', '--offline', '--corpus', CORPUS, Q], /Allowed choices are markdown, json/],
    [['--sources', 'openalex,scholar', Q], /unknown source\(s\) scholar/],
    [['--offline', Q], /Nothing to search/],
    [['--offline', '--corpus', CORPUS, '--year-from', '2020', '--year-to', '2010', Q], /--year-from is after --year-to/],
  ])('exits 2 with a clear message on a usage error: %j', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args as string[]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message as RegExp);
  });

  it('exits 2 naming a bad environment variable', async () => {
    const { code, stderr } = await runCli(['--offline', '--corpus', CORPUS, Q], { SYNTH_MAX_PAPERS: 'lots' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/SYNTH_MAX_PAPERS: must be a whole number \(got "lots"\)/);
  });

  it('exits 1 with one line when the corpus is missing', async () => {
    const { code, stderr } = await runCli(['--offline', '--corpus', '/no/such/corpus.jsonl', Q]);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe('synthesize: Every source failed: corpus (Cannot read corpus /no/such/corpus.jsonl: no such file.).');
  });

  it('makes a report that says so from an empty corpus, instead of crashing', async () => {
    const { code, stdout } = await runCli(['--offline', '--corpus', join(FIXTURES, 'corpus/empty.jsonl'), '--format', 'json', Q]);
    expect(code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(stdout));
    // Honest and empty: coverage 3, evidence 3, sources 0 (no paper read) → 2.
    expect(report).toMatchObject({ claims: [], qualityScore: 2, references: [] });
    expect(report.gaps).toContain('No retrieved source addresses "exercise".');
    expect(report.abstract).toMatch(/^Insufficient evidence: .*cannot say whether exercise reduces depressive symptoms in adults\. The search returned no records\./);
  });

  it('fails fast in one line, with a way forward, when no live source can be reached', async () => {
    const closed = 'http://127.0.0.1:9';
    const started = Date.now();
    const { code, stdout, stderr } = await runCli([Q], {
      OPENALEX_BASE_URL: closed,
      ARXIV_BASE_URL: closed,
      CROSSREF_BASE_URL: closed,
      SEMANTIC_SCHOLAR_BASE_URL: closed,
      PUBMED_BASE_URL: closed,
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const last = stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^synthesize: Every source failed: openalex \(connection failed \(ECONNREFUSED\)\); arxiv/);
    expect(last).toMatch(/Without internet access, search a local corpus with --offline --corpus FILE\.$/);
    // Unreachable hosts are not retried: nowhere near the 20 s source timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('takes the corpus from SYNTH_CORPUS and lets flags override the environment', async () => {
    const { code, stdout } = await runCli(['--offline', '--format', 'json', '--max-papers', '2', Q], { SYNTH_CORPUS: CORPUS, SYNTH_MAX_PAPERS: '50' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).methodology.included).toBe(2);
  });

  it('neutralises mention and markdown syntax of the question in every output', async () => {
    const question = '<!channel> **Does** exercise reduce `depressive` symptoms? <@U42>';
    const json = await runCli(['--offline', '--corpus', CORPUS, '--format', 'json', question]);
    expect(JSON.parse(json.stdout).question).toBe('@channel **Does** exercise reduce `depressive` symptoms? @U42');
    const md = await runCli(['--offline', '--corpus', CORPUS, question]);
    expect(md.stdout).toContain('**Question:** @channel \\*\\*Does\\*\\* exercise reduce \\`depressive\\` symptoms? @U42');
    expect(md.stdout).not.toMatch(/<!channel>|<@U42>/);
    expect(md.stderr).not.toMatch(/<!channel>|<@U42>/);
  });

  it('documents every flag in --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--corpus', '--sources', '--offline', '--max-papers', '--engine', '--format', '--out', '--year-from', '--year-to', 'Exit codes', 'eval']) {
      expect(stdout).toContain(flag);
    }
  });
});

describe('the installed binary', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) await run('npm', ['run', 'build'], { cwd: ROOT });
  }, 120_000);

  it('runs the SciFact example of the issue end to end, with no key and no network', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(ROOT, 'bin/synthesize.js'), '--offline', '--corpus', SCIFACT.corpus, '--format', 'json', 'Does vitamin D supplementation reduce fracture risk?'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', STORE_URL: 'memory://' } },
    );
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.references.length).toBe(report.methodology.included);
    expect(stderr).toMatch(/finished/);
  });

  it('reads a .env file in the working directory, the environment winning over it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dotenv-'));
    await writeFile(join(dir, '.env'), `SYNTH_CORPUS=${CORPUS}\nSYNTH_MAX_PAPERS=lots\n`);
    const bin = join(ROOT, 'bin/synthesize.js');
    const error = await run(process.execPath, [bin, '--offline', '-q', Q], { cwd: dir, env: { PATH: process.env.PATH ?? '' } }).catch((e: unknown) => e);
    expect((error as { code: number; stderr: string }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toMatch(/SYNTH_MAX_PAPERS: must be a whole number \(got "lots"\)/);
    const { stdout } = await run(process.execPath, [bin, '--offline', '-q', '--format', 'json', Q], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', SYNTH_MAX_PAPERS: '2', STORE_URL: 'memory://' },
    });
    expect(JSON.parse(stdout).methodology.included).toBe(2);
  });

  it('exits 2 on a usage error', async () => {
    const error = await run(process.execPath, [join(ROOT, 'bin/synthesize.js'), '--offline', '--corpus', CORPUS, ''], { cwd: ROOT }).catch((e: unknown) => e);
    expect((error as { code: number }).code).toBe(2);
  });
});
