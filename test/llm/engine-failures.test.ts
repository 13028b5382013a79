/**
 * The engine when the model fails or runs out: an unreachable or timing-out endpoint hands the run to
 * the extractive engine (or fails it with LLM_ON_ERROR=fail), a 429 is waited out, the token budget
 * ends the model's part gracefully, cancellation propagates, calls run concurrently under the limit,
 * and concurrent runs keep separate accounts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import type { ProgressEvent } from '../../src/events.js';
import { ReportSchema } from '../../src/model.js';
import { startFakeLlm, type FakeLlm, type FakeLlmOptions } from './fake-llm-server.js';
import { fakeModel } from './fake-model.js';
import { fixtureRuntime, llmEnv, llmMethodology, runSynthesis } from './helpers.js';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(script: FakeLlmOptions['script'], options: Partial<FakeLlmOptions> = {}) {
  fake = await startFakeLlm({ protocol: 'openai', script, apiKey: 'test-key', ...options });
  return fake;
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

describe('an unreachable or failing model', () => {
  it('hands the whole run to the extractive engine when the first call times out, and says so', async () => {
    const fake = await start({ hang: true });
    const events: ProgressEvent[] = [];
    const report = await runSynthesis(llmEnv(fake, 'openai', { LLM_TIMEOUT_MS: '150', LLM_MAX_RETRIES: '0' }), { onEvent: (e) => void events.push(e) });
    expect(ReportSchema.safeParse(report).success).toBe(true);
    expect(fake.requests).toHaveLength(1);
    expect(report.methodology.engine).toBe('extractive');
    expect(report.claims.length).toBeGreaterThan(0);
    const message = 'The language model (openai/fake-model-1) failed at the plan step (The model did not answer within 150 ms); the extractive engine produced this report instead.';
    expect(report.limitations).toContain(message);
    expect(report.limitations.filter((l) => l === message)).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'llm_unavailable', stage: 'plan' }));
    expect(llmMethodology(report).unavailableFrom).toBe('plan');
  });

  it('hands the run over when the endpoint refuses connections', async () => {
    const env = { ...llmEnv({ url: await closedPortUrl() } as FakeLlm), LLM_MAX_RETRIES: '0' };
    const report = await runSynthesis(env);
    expect(report.methodology.engine).toBe('extractive');
    expect(report.limitations).toContainEqual(expect.stringMatching(/failed at the plan step \(Cannot reach the model endpoint http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\)/));
  });

  it('fails the run instead with LLM_ON_ERROR=fail', async () => {
    const env = { ...llmEnv({ url: await closedPortUrl() } as FakeLlm), LLM_MAX_RETRIES: '0', LLM_ON_ERROR: 'fail' };
    const error = await runSynthesis(env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).code).toBe('engine');
    expect((error as SynthError).message).toMatch(/failed at the plan step: Cannot reach.*Set LLM_ON_ERROR=fallback/);
  });

  it('keeps what the model did when it starts failing mid-run, and stops calling it', async () => {
    const fake = await start(fakeModel({ verify: () => ({ status: 500, message: 'upstream crashed' }) }));
    const report = await runSynthesis(llmEnv(fake, 'openai', { LLM_MAX_RETRIES: '0', LLM_CONCURRENCY: '1' }));
    expect(report.methodology.engine).toBe('llm:openai/fake-model-1');
    expect(fake.requests.map((r) => r.step)).toEqual(['plan', 'extract', 'extract', 'verify']);
    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.limitations).toContain(
      'The language model (openai/fake-model-1) failed at the verify step (The endpoint answered HTTP 500: upstream crashed); the extractive engine did the rest of the run.',
    );
    expect(llmMethodology(report).steps).toEqual(expect.objectContaining({ plan: expect.anything(), extract: expect.anything() }));
    expect(llmMethodology(report).steps).not.toHaveProperty('verify');
  });

  it('hands a request the endpoint rejects (HTTP 400) to the extractive engine, and carries on', async () => {
    let rejected = false;
    const fake = await start(
      fakeModel({
        verify: () => {
          if (rejected) return undefined;
          rejected = true;
          return { status: 400, message: "This model's maximum context length is 8192 tokens." };
        },
      }),
    );
    const report = await runSynthesis(llmEnv(fake));
    expect(llmMethodology(report).fallbacks).toEqual({ verify: { rejected: 1 } });
    expect(report.limitations).toContainEqual(expect.stringMatching(/^For 1 item\(s\) \(verify 1\) the endpoint rejected the request/));
    expect(fake.requests.at(-1)!.step).toBe('compose');
  });

  it('takes a rejected first call as a set-up problem and stops calling the model', async () => {
    const fake = await start({ status: 400, message: 'The model `gpt-9` does not exist.' });
    const report = await runSynthesis(llmEnv(fake));
    expect(fake.requests).toHaveLength(1);
    expect(report.methodology.engine).toBe('extractive');
    expect(report.limitations).toContainEqual(expect.stringMatching(/failed at the plan step \(The endpoint answered HTTP 400: The model `gpt-9` does not exist\)/));
  });

  it('waits out a 429 with Retry-After and carries on with the model', async () => {
    let limited = false;
    const fake = await start(
      fakeModel({
        extract: () => {
          if (limited) return undefined;
          limited = true;
          return { status: 429, message: 'Rate limit reached', headers: { 'retry-after': '1' } };
        },
      }),
    );
    const report = await runSynthesis(llmEnv(fake));
    const extracts = fake.requests.filter((r) => r.step === 'extract');
    expect(extracts).toHaveLength(3);
    expect(extracts[2]!.at - extracts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(llmMethodology(report).steps.extract!.calls).toBe(2);
    expect(report.limitations.join(' ')).not.toMatch(/failed|extractive engine/);
  });

  it('propagates cancellation instead of falling back', async () => {
    const controller = new AbortController();
    const fake = await start((req) => {
      if (req.step === 'extract') controller.abort();
      return fakeModel()(req);
    });
    const error = await runSynthesis(llmEnv(fake), { signal: controller.signal }).catch((e: unknown) => e);
    expect((error as SynthError).code).toBe('cancelled');
  });
});

describe('the token budget', () => {
  it('ends the model part gracefully when a reply overruns the budget', async () => {
    const fake = await start(fakeModel({ plan: (r) => ({ ...(fakeModel()(r) as { json: unknown }), usage: { prompt: 4_500, completion: 900 } }) }));
    const events: ProgressEvent[] = [];
    const report = await runSynthesis(llmEnv(fake, 'openai', { LLM_MAX_TOKENS_PER_REPORT: '5000' }), { onEvent: (e) => void events.push(e) });
    expect(ReportSchema.safeParse(report).success).toBe(true);
    expect(fake.requests).toHaveLength(1);
    const llm = llmMethodology(report);
    expect(llm.budget).toEqual({ maxTokens: 5000, reached: true, reachedAt: 'plan' });
    expect(llm.totalTokens).toBe(5400);
    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.limitations.join(' ')).not.toMatch(/disagree/);
    expect(report.limitations).toContainEqual(
      'The token budget of 5,000 tokens per report (LLM_MAX_TOKENS_PER_REPORT) was reached at the plan step; the extractive engine did the remaining work.',
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'llm_budget', stage: 'plan' }));
  });

  it('never lets concurrent calls take the report past its budget', async () => {
    const fake = await start(fakeModel());
    const report = await runSynthesis(llmEnv(fake, 'openai', { LLM_MAX_TOKENS_PER_REPORT: '9000', LLM_MAX_OUTPUT_TOKENS: '400', LLM_CONCURRENCY: '8' }));
    const llm = llmMethodology(report);
    expect(llm.budget.reached).toBe(true);
    expect(llm.totalTokens).toBeLessThanOrEqual(9000);
    expect(llm.calls).toBeGreaterThan(3);
    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.reviews).toHaveLength(3);
  });

  it('estimates the cost when prices are configured', async () => {
    const fake = await start(fakeModel());
    const report = await runSynthesis(llmEnv(fake, 'openai', { LLM_PRICE_INPUT_PER_MTOK: '0.15', LLM_PRICE_OUTPUT_PER_MTOK: '0.6' }));
    const llm = llmMethodology(report);
    expect(llm.estimatedCostUsd).toBeCloseTo((llm.promptTokens * 0.15 + llm.completionTokens * 0.6) / 1e6, 6);
  });
});

describe('concurrency', () => {
  it('runs independent calls concurrently, never more than LLM_CONCURRENCY at once', async () => {
    const fake = await start(fakeModel(), { latencyMs: 40 });
    await runSynthesis(llmEnv(fake, 'openai', { LLM_CONCURRENCY: '2' }));
    expect(fake.maxInFlight).toBe(2);
    await fake.close();

    const wide = await start(fakeModel(), { latencyMs: 40 });
    await runSynthesis(llmEnv(wide, 'openai', { LLM_CONCURRENCY: '16' }));
    expect(wide.maxInFlight).toBeGreaterThanOrEqual(8);
  });

  it('keeps the token accounts of concurrent runs apart', async () => {
    const fake = await start(fakeModel(), { latencyMs: 5 });
    const runtime = fixtureRuntime(llmEnv(fake));
    const [a, b] = await Promise.all([runSynthesis({}, { runtime }), runSynthesis({}, { runtime })]);
    const callsA = llmMethodology(a!).calls;
    const callsB = llmMethodology(b!).calls;
    expect(callsA).toBe(15);
    expect(callsB).toBe(15);
    expect(fake.requests).toHaveLength(callsA + callsB);
  });
});
