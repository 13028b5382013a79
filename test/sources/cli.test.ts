// End to end: the `synthesize` CLI (main() with injected io and environment) searching all five live
// sources on the loopback fake: all answering, one failing, all failing (exit 1 with one line naming
// each source and why, within the timeout), the response cache across invocations with a SQLite
// store, and rate limits holding across concurrent runs in one process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { createRuntime } from '../../src/runtime.js';
import { createStores } from '../../src/store/store.js';
import { startFakeScholarlyServer, type FakeScholarlyServer, type FakeSource } from '../fakes/scholarly-server.js';

const QUESTION = 'Do large language models augmented with chemistry tools improve chemistry tasks?';
const ALL: FakeSource[] = ['openalex', 'arxiv', 'crossref', 'semanticscholar', 'pubmed'];

let fake: FakeScholarlyServer;
let dir: string;
// A fresh fake (a new host) per test, so arXiv's 3 s spacing from one test does not hold up the next.
beforeEach(async () => {
  fake = await startFakeScholarlyServer();
  dir = await mkdtemp(join(tmpdir(), 'synth-sources-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {
      ...fake.env,
      STORE_URL: `sqlite://${join(dir, 'store.sqlite')}`,
      CONTACT_EMAIL: 'dev@example.org',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  return { code, stdout, stderr };
}

describe('synthesize CLI with live sources', () => {
  it('searches all five sources in parallel and reports each in the methodology', async () => {
    const { code, stdout, stderr } = await run(['--format', 'json', '--year-from', '2001', '--year-to', '2025', QUESTION]);
    expect(stderr).not.toMatch(/synthesize: /);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    const statuses = report.methodology.sources;
    expect(statuses.map((s) => s.name)).toEqual(ALL);
    for (const s of statuses) {
      expect(s.status).toBe('ok');
      expect(s.found).toBeGreaterThan(0);
      expect(s).toMatchObject({ identified: s.found });
      expect(s.deduplicated).toBeGreaterThan(0);
      expect(s.deduplicated).toBeLessThanOrEqual(s.found);
      expect(s.screened).toBeLessThanOrEqual(s.deduplicated!);
      expect(s.included).toBeLessThanOrEqual(s.screened!);
    }
    expect(report.methodology.identified).toBe(statuses.reduce((n, s) => n + s.found, 0));
    expect(report.methodology.deduplicated).toBeLessThan(report.methodology.identified);
    expect(report.references.length).toBeGreaterThan(0);
    // The year range reached every source in its own syntax.
    expect(fake.requestsFor('openalex')[0]!.params.get('filter')).toContain('from_publication_date:2001-01-01,to_publication_date:2025-12-31');
    expect(fake.requestsFor('arxiv')[0]!.params.get('search_query')).toContain('submittedDate:[200101010000 TO 202512312359]');
    expect(fake.requestsFor('crossref')[0]!.params.get('filter')).toContain('from-pub-date:2001-01-01,until-pub-date:2025-12-31');
    expect(fake.requestsFor('semanticscholar')[0]!.params.get('year')).toBe('2001-2025');
    expect(fake.requestsFor('pubmed')[0]!.params.get('mindate')).toBe('2001');
    expect(stderr).toMatch(/openalex/);
  });

  it('builds the report from the rest when one source fails, naming it in methodology and limitations', async () => {
    fake.fault('crossref', { kind: 'status', status: 500 });
    const { code, stdout } = await run(['--format', 'json', QUESTION]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    const crossref = report.methodology.sources.find((s) => s.name === 'crossref')!;
    expect(crossref).toMatchObject({ status: 'failed', found: 0, error: 'HTTP 500 Internal Server Error after 3 attempts' });
    expect(report.methodology.sources.filter((s) => s.status === 'ok')).toHaveLength(4);
    expect(report.limitations.join('\n')).toContain('crossref (HTTP 500 Internal Server Error after 3 attempts)');
    expect(fake.requestsFor('crossref')).toHaveLength(3);
  });

  it('exits 1 with one line naming each source and why when every source fails, within the timeout', async () => {
    fake.fault('openalex', { kind: 'status', status: 500 });
    fake.fault('arxiv', { kind: 'invalid' });
    fake.fault('crossref', { kind: 'slow', delayMs: 30_000 });
    fake.fault('semanticscholar', { kind: 'status', status: 429, retryAfter: '60' });
    fake.fault('pubmed', { kind: 'truncated' });
    const started = performance.now();
    const { code, stdout, stderr } = await run([QUESTION], { SYNTH_SOURCE_TIMEOUT_MS: '3000' });
    const elapsed = performance.now() - started;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    const last = lines[lines.length - 1]!;
    expect(lines.filter((l) => l.startsWith('synthesize: '))).toEqual([last]);
    expect(last).toMatch(/^synthesize: Every source failed: /);
    expect(last).toContain('openalex (HTTP 500 Internal Server Error after 3 attempts)');
    expect(last).toContain('arxiv (malformed XML (');
    expect(last).toContain('crossref (timed out after 3 s)');
    expect(last).toContain('semanticscholar (HTTP 429 Too Many Requests; the server asks to retry after 60 s)');
    expect(last).toContain('pubmed (connection closed mid-response after 3 attempts)');
    expect(elapsed).toBeLessThan(8_000);
  });

  it('answers a repeated question from the SQLite cache with zero requests, across invocations', async () => {
    const first = await run(['--format', 'json', QUESTION]);
    expect(first.code).toBe(0);
    const made = fake.requests.length;
    expect(made).toBe(6); // one per source, two for PubMed
    const second = await run(['--format', 'json', QUESTION]);
    expect(second.code).toBe(0);
    expect(fake.requests.length).toBe(made);
    const a = JSON.parse(first.stdout) as Report;
    const b = JSON.parse(second.stdout) as Report;
    expect(b.methodology.sources).toEqual(a.methodology.sources);
    expect(b.references).toEqual(a.references);
  });

  it('searches only the sources named by --sources', async () => {
    const { code, stdout } = await run(['--format', 'json', '--sources', 'openalex,pubmed', QUESTION], { STORE_URL: 'memory://' });
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Report).methodology.sources.map((s) => s.name)).toEqual(['openalex', 'pubmed']);
    expect(new Set(fake.requests.map((r) => r.source))).toEqual(new Set(['openalex', 'pubmed']));
  });

  it('holds the per-source rate limit across concurrent runs in one process', async () => {
    const config = loadConfig({ ...fake.env, SYNTH_SOURCES: 'pubmed', STORE_URL: 'memory://' });
    const stores = await createStores('memory://');
    try {
      // Two runtimes, as two bot processes' worth of runs would share one process's limiter.
      const runtimes = [createRuntime(config, silentLogger, {}, stores), createRuntime(config, silentLogger, {}, stores)];
      const questions = ['Does metformin reduce cancer risk?', 'Does aspirin prevent stroke?', 'Does exercise improve sleep?'];
      await Promise.all(questions.map((q, i) => runtimes[i % 2]!.synthesize({ question: q })));
    } finally {
      await stores.close();
    }
    const times = fake.requestsFor('pubmed').map((r) => r.at).sort((x, y) => x - y);
    // Three esearches; the fake answers each with the same PMIDs, so their efetches are shared.
    expect(fake.requestsFor('pubmed').filter((r) => r.path === '/esearch.fcgi')).toHaveLength(3);
    expect(times.length).toBeGreaterThanOrEqual(4);
    // PubMed without a key: 3 requests/s, kept as starts 370 ms apart (a little slack for timers).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(340);
    for (let i = 3; i < times.length; i++) expect(times[i]! - times[i - 3]!).toBeGreaterThanOrEqual(1000);
  });
});
