// Looking one paper up by identifier (`add <id>`): parsing the id, then each kind of id against the
// loopback fake replaying the real recorded single-record answers (OpenAlex `/works/https://doi.org/…`,
// Crossref `/works/{doi}`, arXiv `id_list`, PubMed `efetch`, Semantic Scholar `/paper/DOI:…`), through
// the sources' own HTTP layer, and the SciFact corpus by id and title; failures and where it looked.
import { Keyv } from 'keyv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SynthError, UsageError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { LiveSourceName } from '../../src/model.js';
import { parseThreadCommand } from '../../src/pipeline/followup.js';
import { createCorpusSource } from '../../src/sources/corpus.js';
import '../../src/sources/live.js';
import { describePaperId, lookupPaper, parsePaperId, requirePaperId } from '../../src/sources/lookup.js';
import { createLiveSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { startFakeScholarlyServer, type FakeScholarlyServer } from '../fakes/scholarly-server.js';
import { SCIFACT } from '../helpers/paths.js';

describe('parsePaperId', () => {
  it.each([
    ['10.1056/NEJMoa2034577', { kind: 'doi', value: '10.1056/nejmoa2034577' }],
    ['doi:10.1016/j.addr.2015.01.008', { kind: 'doi', value: '10.1016/j.addr.2015.01.008' }],
    ['https://doi.org/10.1063/1.4938384.', { kind: 'doi', value: '10.1063/1.4938384' }],
    ['crossref:10.1023/a:1007154515475', { kind: 'doi', value: '10.1023/a:1007154515475' }],
    ['arXiv:2406.15877v2', { kind: 'arxiv', value: '2406.15877' }],
    ['2406.15877', { kind: 'arxiv', value: '2406.15877' }],
    ['https://arxiv.org/abs/astro-ph/0601001v1', { kind: 'arxiv', value: 'astro-ph/0601001' }],
    ['hep-th/9901001', { kind: 'arxiv', value: 'hep-th/9901001' }],
    ['PMID 27797938', { kind: 'pmid', value: '27797938' }],
    ['pubmed:27797938', { kind: 'pmid', value: '27797938' }],
    ['https://pubmed.ncbi.nlm.nih.gov/27797938/', { kind: 'pmid', value: '27797938' }],
    ['7613033', { kind: 'pmid', value: '7613033' }],
    ['W2109415576', { kind: 'openalex', value: 'W2109415576' }],
    ['https://openalex.org/w2109415576', { kind: 'openalex', value: 'W2109415576' }],
    ['s2:7E55D8701785818776323B4147CB13354C820469', { kind: 's2', value: '7e55d8701785818776323b4147cb13354c820469' }],
    ['corpus:7613033', { kind: 'corpus', value: 'corpus:7613033' }],
    ['Aspirin in the chemoprevention of colorectal neoplasia', { kind: 'title', value: 'Aspirin in the chemoprevention of colorectal neoplasia' }],
  ])('%s', (text, expected) => {
    expect(parsePaperId(text)).toEqual(expected);
  });

  it('is undefined for text that names no paper', () => {
    for (const text of ['', '   ', 'foo', '10.1/x', 'arXiv:nonsense', '@channel', 'two words']) expect(parsePaperId(text)).toBeUndefined();
    expect(() => requirePaperId('foo')).toThrow(UsageError);
    expect(() => requirePaperId('foo')).toThrow(/^Not a paper id: "foo"\. Give a DOI \(10\.1056\/NEJMoa2034577\), an arXiv id/);
  });

  it('reads every id the thread command `add` returns as the same kind', () => {
    const cases: [string, string][] = [
      ['add 10.1056/NEJMoa2034577', 'doi'],
      ['add arXiv:2406.15877v1', 'arxiv'],
      ['add https://arxiv.org/abs/2406.15877', 'arxiv'],
      ['add PMID 12345678', 'pmid'],
      ['add 12345678', 'pmid'],
      ['add https://doi.org/10.1016/j.addr.2015.01.008', 'doi'],
    ];
    for (const [text, kind] of cases) {
      const command = parseThreadCommand(text);
      expect(command?.kind).toBe('add');
      expect(parsePaperId((command as { id: string }).id)?.kind, text).toBe(kind);
    }
  });

  it('names the id for messages', () => {
    expect(describePaperId({ kind: 'doi', value: '10.1/xy' })).toBe('DOI 10.1/xy');
    expect(describePaperId({ kind: 'arxiv', value: '2406.15877' })).toBe('arXiv:2406.15877');
    expect(describePaperId({ kind: 'pmid', value: '1' })).toBe('PubMed id 1');
    expect(describePaperId({ kind: 'title', value: 'A title here' })).toBe('the title "A title here"');
  });
});

describe('lookupPaper against the recorded APIs (loopback fake)', () => {
  let fake: FakeScholarlyServer;
  beforeAll(async () => {
    fake = await startFakeScholarlyServer();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const sources = (names: LiveSourceName[], env: Record<string, string> = {}): Source[] => {
    const config = loadConfig({ ...fake.env, SYNTH_SOURCE_TIMEOUT_MS: '5000', ...env });
    return createLiveSources(names, { config, log: silentLogger, cache: new Keyv() }).sources;
  };
  const all = (env: Record<string, string> = {}) => sources(['openalex', 'arxiv', 'crossref', 'semanticscholar', 'pubmed'], env);

  it('a DOI: OpenAlex\'s recorded work (/works/https://doi.org/<doi>), with the polite pool and user agent', async () => {
    const result = await lookupPaper('10.1016/j.addr.2015.01.008', all({ CONTACT_EMAIL: 'dev@example.org' }));
    expect(result.status).toBe('found');
    if (result.status !== 'found') return;
    expect(result.source).toBe('openalex');
    expect(result.paper.id).toBe('openalex:W2033425827');
    expect(result.paper.title).toMatch(/^Pharmacokinetics, biodistribution and cell uptake/);
    expect(result.paper.doi).toBe('10.1016/j.addr.2015.01.008');
    expect(result.paper.abstract.length).toBeGreaterThan(500);
    expect(result.message).toBe('Found DOI 10.1016/j.addr.2015.01.008 in openalex.');
    expect(result.attempts.map((a) => [a.source, a.outcome])).toEqual([['openalex', 'found']]);
    // One request, to the recorded path; nothing else was asked.
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req!.path).toBe('/works/https://doi.org/10.1016%2Fj.addr.2015.01.008');
    expect(req!.params.get('mailto')).toBe('dev@example.org');
    expect(req!.headers['user-agent']).toBe('research-synthesis-bot/0.1.0 (mailto:dev@example.org)');
  });

  it('a DOI OpenAlex does not have: Crossref\'s recorded work (/works/<doi>), JATS abstract as text', async () => {
    const result = await lookupPaper('https://doi.org/10.1073/pnas.1205508109', all());
    expect(result.status).toBe('found');
    if (result.status !== 'found') return;
    expect(result.source).toBe('crossref');
    expect(result.paper.id).toBe('crossref:10.1073/pnas.1205508109');
    expect(result.paper.abstract.length).toBeGreaterThan(200);
    expect(result.paper.abstract).not.toMatch(/<\/?jats:/);
    expect(result.attempts.map((a) => [a.source, a.outcome])).toEqual([
      ['openalex', 'not-found'],
      ['crossref', 'found'],
    ]);
    expect(fake.requestsFor('crossref')[0]!.path).toBe('/works/10.1073%2Fpnas.1205508109');
  });

  it('a DOI every source has without an abstract: the first record, said plainly', async () => {
    const result = await lookupPaper('10.1016/j.xgen.2025.100814', all());
    expect(result.status).toBe('found');
    if (result.status !== 'found') return;
    expect(result.source).toBe('openalex');
    expect(result.paper.abstract).toBe('');
    expect(result.paper.title).toMatch(/^High-throughput screening of human genetic variants/);
    expect(result.attempts.map((a) => [a.source, a.outcome])).toEqual([
      ['openalex', 'found-no-abstract'],
      ['crossref', 'found-no-abstract'],
      ['semanticscholar', 'found-no-abstract'],
    ]);
    expect(result.message).toBe('Found DOI 10.1016/j.xgen.2025.100814 in openalex, but no source asked has its abstract.');
    expect(fake.requestsFor('semanticscholar')[0]!.path).toBe('/paper/DOI:10.1016/j.xgen.2025.100814');
  });

  it('Semantic Scholar by DOI: its recorded paper, and its recorded 404 as not found', async () => {
    const found = await lookupPaper('10.1038/s42256-024-00832-8', sources(['semanticscholar']));
    expect(found.status).toBe('found');
    if (found.status === 'found') expect(found.paper.id).toBe('s2:354dcdebf3f8b5feeed5c62090e0bc1f0c28db06');
    const missing = await lookupPaper('10.1101/2024.04.01.587366', sources(['semanticscholar']));
    expect(missing).toMatchObject({ status: 'not-found', message: 'Not found: DOI 10.1101/2024.04.01.587366 (looked in semanticscholar).' });
  });

  it('a DOI nobody has: not found, naming every source asked', async () => {
    const result = await lookupPaper('10.9999/not.recorded', sources(['openalex', 'crossref']));
    expect(result).toMatchObject({ status: 'not-found', message: 'Not found: DOI 10.9999/not.recorded (looked in openalex and crossref).' });
    expect(result.attempts.map((a) => a.outcome)).toEqual(['not-found', 'not-found']);
  });

  it('arXiv ids through id_list (recorded feeds): new and old style, and an id arXiv does not have', async () => {
    const arxiv = sources(['arxiv']);
    const found = await lookupPaper('arXiv:1605.08386v1', arxiv);
    expect(found.status).toBe('found');
    if (found.status === 'found') {
      expect(found.paper).toMatchObject({ id: 'arxiv:1605.08386', title: 'Heat-bath random walks with Markov bases', url: 'https://arxiv.org/abs/1605.08386' });
      expect(found.paper.abstract.length).toBeGreaterThan(100);
    }
    const [req] = fake.requestsFor('arxiv');
    expect(req!.path).toBe('/query');
    expect(Object.fromEntries(req!.params)).toEqual({ id_list: '1605.08386', start: '0', max_results: '1' });
    const old = await lookupPaper('https://arxiv.org/abs/astro-ph/0601001', arxiv);
    expect(old.status === 'found' && old.paper.id).toBe('arxiv:astro-ph/0601001');
    // The recorded answer for an id arXiv does not have is an empty feed.
    const missing = await lookupPaper('arXiv:0000.0000', arxiv);
    expect(missing).toMatchObject({ status: 'not-found', message: 'Not found: arXiv:0000.0000 (looked in arxiv).' });
  }, 20_000);

  it('a PubMed id through efetch (recorded article, structured abstract); an id not in the answer is not found', async () => {
    const pubmed = sources(['pubmed'], { CONTACT_EMAIL: 'dev@example.org' });
    const found = await lookupPaper('PMID 27797938', pubmed);
    expect(found.status).toBe('found');
    if (found.status === 'found') {
      expect(found.paper.id).toBe('pubmed:27797938');
      expect(found.paper.abstract).toMatch(/^OBJECTIVE: Telomere shortening .* CONCLUSIONS: /);
      expect(found.paper.url).toBe('https://pubmed.ncbi.nlm.nih.gov/27797938/');
    }
    const [req] = fake.requestsFor('pubmed');
    expect(req!.path).toBe('/efetch.fcgi');
    expect(req!.params.get('id')).toBe('27797938');
    expect(req!.params.get('tool')).toBe('research-synthesis-bot');
    expect(req!.params.get('email')).toBe('dev@example.org');
    // The fake answers an unknown PMID with other recorded articles: only the one asked for counts.
    expect(await lookupPaper('1', pubmed)).toMatchObject({ status: 'not-found', message: 'Not found: PubMed id 1 (looked in pubmed).' });
  });

  it('an OpenAlex id: the recorded work object', async () => {
    const result = await lookupPaper('openalex:W2109415576', all());
    expect(result.status === 'found' && [result.source, result.paper.doi]).toEqual(['openalex', '10.1073/pnas.1414271111']);
    expect(fake.requests.map((r) => `${r.source} ${r.path}`)).toEqual(['openalex /works/W2109415576']);
  });

  it('a source that fails is named with its reason and the next one asked; when none finds it, failed', async () => {
    fake.fault('openalex', { kind: 'invalid' });
    const found = await lookupPaper('10.1073/pnas.1414271111', sources(['openalex', 'crossref']));
    expect(found.status).toBe('found');
    if (found.status === 'found') expect(found.source).toBe('crossref');
    expect(found.attempts[0]).toMatchObject({ source: 'openalex', outcome: 'failed', error: expect.stringMatching(/^malformed JSON/) });

    fake.reset();
    fake.fault('openalex', { kind: 'invalid' });
    fake.fault('crossref', { kind: 'status', status: 500 });
    const failed = await lookupPaper('10.1073/pnas.1414271111', sources(['openalex', 'crossref']));
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(
      /^Could not look DOI 10\.1073\/pnas\.1414271111 up: openalex failed \(malformed JSON .*\); crossref failed \(HTTP 500 Internal Server Error after 3 attempts\)\.$/,
    );

    fake.reset();
    // OpenAlex's work in an unexpected shape (a changed API); Crossref has no such DOI (arXiv's are DataCite's).
    fake.fault('openalex', { kind: 'schema' });
    const mixed = await lookupPaper('10.48550/arxiv.2304.05376', sources(['openalex', 'crossref']));
    expect(mixed).toMatchObject({ status: 'failed', message: expect.stringMatching(/openalex failed \(unexpected response shape .*\); not found in crossref\.$/) });
  }, 20_000);

  it('a source that takes too long fails with a timeout; a cancelled lookup rejects', async () => {
    fake.setLatency('openalex', 2_000);
    const result = await lookupPaper('10.1016/j.addr.2015.01.008', sources(['openalex']), { timeoutMs: 300 });
    expect(result).toMatchObject({ status: 'failed', message: expect.stringMatching(/openalex failed \((?:timed out after 0\.3 s|no response within 300 ms.*)\)/) });
    const controller = new AbortController();
    controller.abort();
    await expect(lookupPaper('10.1016/j.addr.2015.01.008', sources(['openalex']), { signal: controller.signal })).rejects.toSatisfy(
      (e: unknown) => e instanceof SynthError && e.code === 'cancelled',
    );
  });

  it('says so when no configured source can look that kind of id up', async () => {
    expect(await lookupPaper('corpus:4983', sources(['openalex', 'pubmed']))).toMatchObject({
      status: 'not-found',
      attempts: [],
      message: 'None of the configured sources (openalex, pubmed) can look paper corpus:4983 up; configure a local corpus (--corpus, SYNTH_CORPUS).',
    });
    expect((await lookupPaper('PMID 1', [])).message).toBe('No source is configured to look PubMed id 1 up; configure a source that can (a corpus, or the live sources).');
    expect(fake.requests).toHaveLength(0);
  });

  it('asks the configured corpus first: a SciFact id, title or corpus id without touching the network', async () => {
    const corpus = createCorpusSource([SCIFACT.corpus]);
    const both = [...sources(['pubmed']), corpus];
    const byNumber = await lookupPaper('7613033', both);
    expect(byNumber.status).toBe('found');
    if (byNumber.status === 'found') {
      expect(byNumber.source).toBe('corpus');
      expect(byNumber.paper.id).toBe('corpus:7613033');
      expect(byNumber.paper.sentences?.length).toBeGreaterThan(3);
    }
    const byTitle = await lookupPaper('Aspirin in the chemoprevention of colorectal neoplasia: an overview', both);
    expect(byTitle.status === 'found' && byTitle.paper.id).toBe('corpus:7613033');
    const byId = await lookupPaper('corpus:7613033', both);
    expect(byId.status === 'found' && byId.paper.id).toBe('corpus:7613033');
    expect(fake.requests).toHaveLength(0);
    // Not in the corpus: PubMed is asked next.
    const next = await lookupPaper('27797938', both);
    expect(next.status === 'found' && next.source).toBe('pubmed');
    expect(next.attempts.map((a) => [a.source, a.outcome])).toEqual([
      ['corpus', 'not-found'],
      ['pubmed', 'found'],
    ]);
    expect(await lookupPaper('corpus:1', [corpus])).toMatchObject({ status: 'not-found', message: 'Not found: paper corpus:1 (looked in corpus).' });
  });
});
