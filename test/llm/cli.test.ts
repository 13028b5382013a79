/**
 * End to end through the CLI (`main()` with injected io and env): `--engine llm` and `SYNTH_ENGINE=llm`
 * against the loopback fakes produce reports that pass the contract; a missing setting exits 2 with
 * the fix; `eval verify --engine llm` runs the SciFact-style evaluation through the model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { quoteIsVerbatim } from '../../src/pipeline/invariants.js';
import { ReportSchema } from '../../src/model.js';
import { readCorpusFile } from '../../src/sources/corpus.js';
import { startFakeLlm, type FakeLlm } from './fake-llm-server.js';
import { fakeModel } from './fake-model.js';
import { captureIo, FIXTURE_CLAIMS, FIXTURE_CORPUS, llmEnv, QUESTION } from './helpers.js';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe.each(['openai', 'anthropic'] as const)('synthesize --engine llm (%s)', (protocol) => {
  it('prints a JSON report that passes the contract', async () => {
    fake = await startFakeLlm({ protocol, script: fakeModel(), apiKey: 'test-key' });
    const { SYNTH_ENGINE: _unused, ...env } = llmEnv(fake, protocol);
    const cli = captureIo(env);
    const code = await main(['--offline', '--corpus', FIXTURE_CORPUS, '--engine', 'llm', '--format', 'json', QUESTION], cli.io);
    expect(cli.err()).not.toMatch(/synthesize:/);
    expect(code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(cli.out()));
    expect(report.methodology.engine).toBe(`llm:${protocol}/fake-model-1`);
    expect(report.claims.length).toBeGreaterThan(0);
    const refs = new Set(report.references.map((r) => r.id));
    const { papers } = await readCorpusFile(FIXTURE_CORPUS);
    const byId = new Map(papers.map((p) => [p.id, p]));
    for (const c of report.claims) {
      expect(refs.has(c.paperId)).toBe(true);
      expect(quoteIsVerbatim(c.quote, byId.get(c.paperId)!)).toBe(true);
      for (const e of c.verification.evidence) expect(refs.has(e.paperId)).toBe(true);
      if (c.verification.verdict !== 'insufficient') expect(c.verification.confidence).toBeGreaterThanOrEqual(0.5);
    }
    expect((report.methodology as { llm?: { calls: number } }).llm?.calls).toBe(fake.requests.length);
    expect(fake.protocolErrors).toEqual([]);
    expect(cli.err()).toContain('extract');
  });
});

describe('synthesize with SYNTH_ENGINE=llm', () => {
  it('prints a Markdown report naming the engine', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: fakeModel() });
    const cli = captureIo(llmEnv(fake));
    const code = await main(['--quiet', '--offline', '--corpus', FIXTURE_CORPUS, QUESTION], cli.io);
    expect(code).toBe(0);
    expect(cli.out()).toContain('Engine: llm:openai/fake-model-1.');
    expect(cli.out()).toContain('## Claims');
  });

  it('exits 2 and says how to fix a missing model name', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: fakeModel() });
    const { LLM_MODEL: _unused, ...env } = llmEnv(fake);
    const cli = captureIo(env);
    const code = await main(['--offline', '--corpus', FIXTURE_CORPUS, QUESTION], cli.io);
    expect(code).toBe(2);
    expect(cli.err()).toContain('synthesize: LLM_MODEL: missing. Set it to the model name your endpoint serves');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('synthesize eval verify --engine llm', () => {
  it('judges each claim against its cited abstract through the model and prints one JSON line', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: fakeModel() });
    const cli = captureIo(llmEnv(fake));
    const code = await main(['eval', 'verify', '--corpus', FIXTURE_CORPUS, '--claims', FIXTURE_CLAIMS, '--engine', 'llm', '--concurrency', '2'], cli.io);
    expect(cli.err()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(cli.out()) as { pairs: number; macro_f1: number; f1: Record<string, number> };
    expect(result.pairs).toBe(3);
    expect(Object.keys(result.f1)).toEqual(['SUPPORT', 'CONTRADICT', 'NEI']);
    // The third claim shares no words with its abstract: judged insufficient without a call.
    expect(fake.requests.filter((r) => r.step === 'verify')).toHaveLength(2);
    // The cited abstract is the only other paper, so the model sees all of it.
    const passages = JSON.parse(fake.requests[0]!.user.split('<passages>\n')[1]!.split('\n</passages>')[0]!) as { sentences: string[] }[];
    expect(passages).toHaveLength(1);
    expect(passages[0]!.sentences.length).toBeGreaterThanOrEqual(3);
  });

  it('fails instead of silently measuring the extractive engine when the endpoint is down', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: { status: 503, message: 'down' } });
    const cli = captureIo({ ...llmEnv(fake), LLM_MAX_RETRIES: '0' });
    const code = await main(['eval', 'verify', '--corpus', FIXTURE_CORPUS, '--claims', FIXTURE_CLAIMS, '--engine', 'llm'], cli.io);
    expect(code).toBe(1);
    expect(cli.err()).toMatch(/synthesize eval: The language model \(openai\/fake-model-1\) failed at the verify step: The endpoint answered HTTP 503/);
  });
});
