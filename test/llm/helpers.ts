/**
 * Shared set-up for the LLM tests: settings and runtimes pointed at a loopback fake, the fixture
 * corpus, and a capturing CLI io.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { resolveLlmSettings, type LlmSettings } from '../../src/engines/llm/settings.js';
import { silentLogger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import type { ProgressListener } from '../../src/events.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { FakeLlm } from './fake-llm-server.js';

/** The hand-made corpus of the LLM tests (vitamin D and fractures, one injection abstract, one off-topic paper). */
export const FIXTURE_CORPUS = fileURLToPath(new URL('../fixtures/llm/corpus.jsonl', import.meta.url));
/** SciFact-format claims over the fixture corpus, for `eval verify`. */
export const FIXTURE_CLAIMS = fileURLToPath(new URL('../fixtures/llm/claims.jsonl', import.meta.url));
/** The question the fixture corpus answers. */
export const QUESTION = 'Does vitamin D supplementation reduce fracture risk in older adults?';

/** An environment for the LLM engine against a fake. */
export function llmEnv(fake: FakeLlm, protocol: 'openai' | 'anthropic' = 'openai', extra: Record<string, string> = {}): Record<string, string> {
  return {
    SYNTH_ENGINE: 'llm',
    SYNTH_SOURCES: 'none',
    STORE_URL: 'memory://',
    LOG_LEVEL: 'silent',
    LLM_PROVIDER: protocol,
    LLM_BASE_URL: fake.url,
    LLM_MODEL: 'fake-model-1',
    LLM_API_KEY: 'test-key',
    LLM_TIMEOUT_MS: '2000',
    LLM_MAX_RETRIES: '1',
    ...extra,
  };
}

/** Resolved settings for a provider test. */
export function settingsFor(fake: FakeLlm, protocol: 'openai' | 'anthropic' = 'openai', extra: Record<string, string> = {}): LlmSettings {
  return resolveLlmSettings(loadConfig(llmEnv(fake, protocol, extra)));
}

/** Runs a synthesis over the fixture corpus with the LLM engine against the fake. */
export async function runSynthesis(
  env: Record<string, string>,
  options: { question?: string; corpus?: string; maxClaims?: number; signal?: AbortSignal; onEvent?: ProgressListener; runtime?: Runtime } = {},
): Promise<Report> {
  const runtime = options.runtime ?? createRuntime(loadConfig(env), silentLogger, { corpus: [options.corpus ?? FIXTURE_CORPUS], offline: true });
  return runtime.synthesize(
    { question: options.question ?? QUESTION, ...(options.maxClaims ? { maxClaims: options.maxClaims } : {}) },
    { ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) },
  );
}

/** A runtime over the fixture corpus, to run several syntheses on one engine. */
export function fixtureRuntime(env: Record<string, string>): Runtime {
  return createRuntime(loadConfig(env), silentLogger, { corpus: [FIXTURE_CORPUS], offline: true });
}

/** The `llm` block of a report's methodology. */
export function llmMethodology(report: Report): Record<string, unknown> & {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  steps: Record<string, { calls: number; promptTokens: number; completionTokens: number }>;
  budget: { maxTokens: number | null; reached: boolean; reachedAt?: string };
} {
  return (report.methodology as unknown as { llm: ReturnType<typeof llmMethodology> }).llm;
}

/** A CLI io that captures stdout and stderr. */
export function captureIo(env: Record<string, string>): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean }; env: Record<string, string> }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true) },
      env,
    },
    out: () => out,
    err: () => err,
  };
}
