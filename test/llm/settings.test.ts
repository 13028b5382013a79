/**
 * The LLM engine's configuration: defaults, fail-fast messages that say how to fix a missing value,
 * and `.env.example` documenting every LLM_* variable of the schema.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CoreEnvSchema, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { resolveLlmSettings } from '../../src/engines/llm/settings.js';
import { createEngine } from '../../src/runtime.js';
import { silentLogger } from '../../src/logger.js';

const resolve = (env: Record<string, string>) => resolveLlmSettings(loadConfig(env));
const failure = (env: Record<string, string>) => {
  try {
    resolve(env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('LLM settings', () => {
  it('applies the defaults', () => {
    const s = resolve({ LLM_PROVIDER: 'openai', LLM_MODEL: 'gpt-4o-mini', LLM_API_KEY: 'sk-x' });
    expect(s).toMatchObject({
      provider: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      maxTokensPerReport: 200_000,
      concurrency: 4,
      timeoutMs: 60_000,
      maxRetries: 2,
      maxOutputTokens: 1500,
      structuredOutput: 'auto',
      onError: 'fallback',
    });
    expect(s.temperature).toBeUndefined();
    expect(s.prices).toBeUndefined();
    expect(resolve({ LLM_PROVIDER: 'anthropic', LLM_MODEL: 'claude-sonnet-4-5', LLM_API_KEY: 'k' }).baseUrl).toBe('https://api.anthropic.com');
  });

  it('needs no key for a local server such as Ollama', () => {
    const s = resolve({ LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://localhost:11434/v1/', LLM_MODEL: 'llama3.1:8b' });
    expect(s.baseUrl).toBe('http://localhost:11434/v1');
    expect(s.apiKey).toBeUndefined();
  });

  it('says how to fix each missing value', () => {
    expect(failure({ LLM_MODEL: 'm' }).message).toMatch(/^LLM_PROVIDER: missing\. Set it to openai .* or anthropic/);
    const model = failure({ LLM_PROVIDER: 'openai' });
    expect(model.variable).toBe('LLM_MODEL');
    expect(model.message).toBe('LLM_MODEL: missing. Set it to the model name your endpoint serves, e.g. gpt-4o-mini, or llama3.1:8b for Ollama.');
    expect(failure({ LLM_PROVIDER: 'openai', LLM_MODEL: 'gpt-4o-mini' }).message).toMatch(/^LLM_API_KEY: missing\. api\.openai\.com needs an API key: set LLM_API_KEY/);
    expect(failure({ LLM_PROVIDER: 'anthropic', LLM_MODEL: 'claude' }).variable).toBe('LLM_API_KEY');
    expect(failure({ LLM_PROVIDER: 'openai', LLM_MODEL: 'm', LLM_BASE_URL: 'http://localhost:1/v1', LLM_PRICE_INPUT_PER_MTOK: '1' }).variable).toBe('LLM_PRICE_OUTPUT_PER_MTOK');
    expect(failure({ LLM_PROVIDER: 'openai', LLM_MODEL: 'm', LLM_BASE_URL: 'http://localhost:1/v1', LLM_MAX_TOKENS_PER_REPORT: '2000' }).message).toMatch(
      /^LLM_MAX_TOKENS_PER_REPORT: 2000 leaves no room for a call .* Raise it/,
    );
  });

  it('rejects bad values at load time, naming the variable', () => {
    expect(() => loadConfig({ LLM_ON_ERROR: 'ignore' })).toThrow(/LLM_ON_ERROR: must be fallback or fail/);
    expect(() => loadConfig({ LLM_CONCURRENCY: '0' })).toThrow(/LLM_CONCURRENCY: must be at least 1/);
    expect(() => loadConfig({ LLM_STRUCTURED_OUTPUT: 'xml' })).toThrow(/LLM_STRUCTURED_OUTPUT/);
    expect(() => loadConfig({ LLM_PRICE_INPUT_PER_MTOK: '-1' })).toThrow(/LLM_PRICE_INPUT_PER_MTOK: must not be negative/);
  });

  it('is what the runtime builds for the llm engine', () => {
    const engine = createEngine('llm', loadConfig({ LLM_PROVIDER: 'openai', LLM_MODEL: 'llama3.1:8b', LLM_BASE_URL: 'http://localhost:11434/v1' }), silentLogger);
    expect(engine.name).toBe('llm:openai/llama3.1:8b');
    expect(typeof engine.forRun).toBe('function');
    expect(() => createEngine('llm', loadConfig({}), silentLogger)).toThrow(ConfigError);
  });

  it('documents every LLM_* variable in .env.example', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const llmVars = Object.keys(CoreEnvSchema.shape).filter((k) => k.startsWith('LLM_'));
    expect(llmVars.length).toBeGreaterThanOrEqual(14);
    for (const name of llmVars) {
      expect(documented.has(name), name).toBe(true);
      const line = example.split('\n').findIndex((l) => l.startsWith(`${name}=`));
      expect(example.split('\n')[line - 1], `${name} has a comment`).toMatch(/^# /);
    }
    expect(example).toMatch(/Ollama: .*LLM_BASE_URL=http:\/\/localhost:11434\/v1/);
  });
});
