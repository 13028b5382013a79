/**
 * Issue 12: untrusted text reaching output unescaped. A reference's `doi` and `url` were printed raw in
 * the Markdown report (`<script>`, `<!channel>` came through); now only http(s) URLs become links and
 * a DOI that is not a DOI is escaped text. Escape bytes from a hostile source (ANSI sequences, other
 * C0 and C1 controls) never reach the terminal: not in the report on stdout, not in progress on stderr.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/events.js';
import { createProgressPrinter, plainLine } from '../../src/cli/progress-printer.js';
import type { Reference, Report } from '../../src/model.js';
import { formatReference } from '../../src/render/markdown.js';
import { terminalSafe } from '../../src/text/sanitize.js';
import { runCli } from '../helpers/cli.js';

/** Any C0 control but newline, DEL, or any C1 control. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;

const ref = (over: Partial<Reference>): Reference => ({ id: 'p1', title: 'A title', authors: ['A. Author'], year: 2020, ...over });

describe('references in the Markdown report', () => {
  it('links a real DOI and an http(s) URL, encoding what would break out of the link', () => {
    expect(formatReference(ref({ doi: '10.1000/abc' }))).toBe('A. Author (2020). A title. https://doi.org/10.1000/abc');
    expect(formatReference(ref({ doi: '10.1000/a_b*c<d>' }))).toBe('A. Author (2020). A title. <https://doi.org/10.1000/a_b*c%3Cd%3E>');
    expect(formatReference(ref({ url: 'https://example.org/p?a=1&b=<x> y' }))).toBe('A. Author (2020). A title. https://example.org/p?a=1&b=%3Cx%3E%20y');
  });

  it.each([
    ['a script tag as DOI', { doi: '<script>alert(1)</script>' }, 'DOI: \\<script\\>alert(1)\\</script\\>'],
    ['a mention as DOI', { doi: '<!channel>' }, 'DOI: @channel'],
    ['a javascript: URL', { url: 'javascript:alert(1)' }, 'URL: javascript:alert(1)'],
    ['a mention as URL', { url: '<!channel> <@U123>' }, 'URL: @channel @U123'],
    ['a markdown link as URL', { url: '[click](https://evil.example)' }, 'URL: \\[click\\](https://evil.example)'],
    ['escape bytes in a DOI', { doi: '10.1000/x\u001b[2J\u009b31m' }, 'https://doi.org/10.1000/x%5B2J31m'],
  ])('shows %s as escaped text, never as a link or markup', (_name, over, expected) => {
    const line = formatReference(ref(over));
    expect(line).toBe(`A. Author (2020). A title. ${expected}`);
    expect(line).not.toMatch(/(?<!\\)<(?:script|!channel|@U123)|(?<!\\)\]\(/);
    expect(line).not.toMatch(CONTROL);
  });

  it('falls back to the URL when the DOI is not one, and shows both', () => {
    expect(formatReference(ref({ doi: 'not a doi', url: 'https://example.org/p' }))).toBe('A. Author (2020). A title. DOI: not a doi https://example.org/p');
  });
});

describe('text for the terminal', () => {
  it('drops ANSI sequences whole and every other control but newlines', () => {
    expect(terminalSafe('a\u001b[2Jb\u001b]0;title\u0007c\u009b31md\u0007e\u0000f\u007fg\r\nh\ti')).toBe('abcdefg\nh\ti');
  });

  const hostile = 'x\u001b[2J\u009b31m\u0007y';
  const events: ProgressEvent[] = [
    { type: 'run-started', runId: 'r', elapsedMs: 0, question: `q ${hostile}` },
    { type: 'source-finished', runId: 'r', elapsedMs: 5, source: `evil${hostile}`, status: 'failed', found: 0, error: `HTTP 500 ${hostile}`, ms: 5 },
    { type: 'stage-progress', runId: 'r', elapsedMs: 6, stage: 'verify', done: 1, total: 2, detail: `claim ${hostile}` },
    { type: 'warning', runId: 'r', elapsedMs: 7, code: 'w', message: `warn ${hostile}` },
    { type: 'run-failed', runId: 'r', elapsedMs: 8, code: 'all_sources_failed', message: `Every source failed: evil (${hostile})` },
  ];

  it('keeps escape bytes out of plain progress lines', () => {
    for (const event of events) expect(plainLine(event)).not.toMatch(CONTROL);
  });

  it("keeps escape bytes out of a terminal's live progress lines (only the printer's own line rewrite remains)", () => {
    let written = '';
    const print = createProgressPrinter({ write: (s: string) => (written += s) }, true);
    for (const event of events) print(event);
    expect(written.split('\r\u001b[K').join('')).not.toMatch(CONTROL);
  });
});

describe('the CLI over a hostile corpus', () => {
  let dir: string;
  let corpus: string;
  const E = '\u001b[2J\u001b[31m\u009b1;1H\u0007';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostile-'));
    corpus = join(dir, 'hostile.jsonl');
    const papers = [1, 2, 3].map((n) => ({
      id: `h${n}${E}`,
      title: `Vitamin D supplementation and fracture risk ${E} trial ${n}`,
      abstract: `RESULTS: Vitamin D supplementation reduced fracture risk in older adults ${E} (n = ${100 * n}). CONCLUSIONS: Vitamin D supplementation reduces fracture risk in older adults.`,
      authors: [`Eve ${E} Mallory`],
      venue: `Journal ${E}`,
      year: 2020,
      doi: n === 1 ? `10.1000/h${n}${E}` : `<script>${E}</script>`,
      url: n === 3 ? `javascript:alert(1)${E}` : `https://example.org/${E}`,
    }));
    await writeFile(corpus, papers.map((p) => JSON.stringify(p)).join('\n'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['Markdown, progress to a terminal', ['--format', 'markdown'], true],
    ['Markdown, progress to a pipe', ['--format', 'markdown'], false],
    ['JSON', ['--format', 'json'], false],
  ])('writes no control character to stdout or stderr (%s)', async (_name, args, isTTY) => {
    const cli = await runCli(['--offline', '--corpus', corpus, ...args, 'Does vitamin D supplementation reduce fracture risk?'], {}, { isTTY });
    expect(cli.code).toBe(0);
    expect(cli.stdout.length).toBeGreaterThan(500);
    expect(cli.stdout).not.toMatch(CONTROL);
    expect(cli.stderr.split('\r\u001b[K').join('')).not.toMatch(CONTROL);
    expect(cli.stdout).not.toContain('<script>');
    if (args[1] === 'json') {
      // The data is kept, its control characters written as JSON escapes.
      const report = JSON.parse(cli.stdout) as Report;
      expect(report.references.some((r) => r.venue?.includes('\u009b'))).toBe(true);
    }
  });
});
