/**
 * The two providers against loopback fakes of their protocols: what they send (model, schema,
 * messages, headers), and how they handle 429 with Retry-After, timeouts, refusals, servers without
 * structured outputs, non-protocol replies, auth errors and cancellation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/engines/llm/model-error.js';
import { createAnthropicProvider } from '../../src/engines/llm/anthropic.js';
import { parseRetryAfter } from '../../src/engines/llm/http.js';
import { createOpenAiProvider } from '../../src/engines/llm/openai.js';
import type { ChatRequest, ModelProvider } from '../../src/engines/llm/provider.js';
import { JSON_SCHEMAS } from '../../src/engines/llm/schemas.js';
import { startFakeLlm, type FakeLlm, type FakeLlmOptions } from './fake-llm-server.js';
import { settingsFor } from './helpers.js';

const REQUEST: ChatRequest = {
  system: 'You review. Task (review, coverage): score it.',
  messages: [{ role: 'user', content: '<question>\n"Does it work?"\n</question>' }],
  schemaName: 'review',
  jsonSchema: JSON_SCHEMAS.review,
  maxTokens: 300,
};
const REVIEW = { score: 7, rationale: 'Fine.' };

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setUp(protocol: 'openai' | 'anthropic', script: FakeLlmOptions['script'], extra: Record<string, string> = {}, options: Partial<FakeLlmOptions> = {}) {
  fake = await startFakeLlm({ protocol, script, apiKey: 'test-key', ...options });
  const settings = settingsFor(fake, protocol, extra);
  const provider: ModelProvider = protocol === 'openai' ? createOpenAiProvider(settings) : createAnthropicProvider(settings);
  return { fake, provider };
}

const call = (provider: ModelProvider, signal: AbortSignal = new AbortController().signal) => provider.complete(REQUEST, { signal });

describe('OpenAI-compatible provider', () => {
  it('sends the model, system and user messages, a strict JSON schema and the key; reads content and usage', async () => {
    const { fake, provider } = await setUp('openai', { json: REVIEW, usage: { prompt: 120, completion: 15 } });
    const reply = await call(provider);
    expect(JSON.parse(reply.text)).toEqual(REVIEW);
    expect(reply.usage).toEqual({ promptTokens: 120, completionTokens: 15 });
    const [req] = fake.requests;
    expect(req!.path).toBe('/v1/chat/completions');
    expect(req!.headers.authorization).toBe('Bearer test-key');
    expect(req!.body.model).toBe('fake-model-1');
    expect(req!.body.messages).toEqual([
      { role: 'system', content: REQUEST.system },
      { role: 'user', content: REQUEST.messages[0]!.content },
    ]);
    expect(req!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'review', strict: true, schema: JSON_SCHEMAS.review } });
    expect(req!.body.max_tokens).toBe(300);
    expect(req!.body).not.toHaveProperty('temperature');
    expect(fake.protocolErrors).toEqual([]);
  });

  it('waits for Retry-After on 429, then succeeds', async () => {
    const { fake, provider } = await setUp('openai', [{ status: 429, headers: { 'retry-after': '1' } }, { json: REVIEW }]);
    const t0 = Date.now();
    await call(provider);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the configured retries with the status and the provider message', async () => {
    const { fake, provider } = await setUp('openai', { status: 503, message: 'overloaded, try later', headers: { 'retry-after-ms': '10' } });
    const error = await call(provider).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).status).toBe(503);
    expect((error as ModelError).message).toMatch(/overloaded, try later.*2 attempts/);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry a wrong key (401)', async () => {
    const { fake, provider } = await setUp('openai', { json: REVIEW }, { LLM_API_KEY: 'wrong' });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.kind).toBe('http');
    expect(error.status).toBe(401);
    expect(fake.requests).toHaveLength(0);
  });

  it('times out an attempt that hangs, retrying once', async () => {
    const { fake, provider } = await setUp('openai', { hang: true }, { LLM_TIMEOUT_MS: '150' });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 150 ms/);
    expect(fake.requests).toHaveLength(2);
  });

  it('reports a refusal', async () => {
    const { provider } = await setUp('openai', { refusal: "I can't help with that." });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.kind).toBe('refusal');
    expect(error.message).toContain("I can't help with that.");
  });

  it('returns malformed JSON content as text for the engine to repair, and flags a cut-off reply', async () => {
    const { provider } = await setUp('openai', { text: '{"score": 7, "rationale": "Fi', truncated: true });
    const reply = await call(provider);
    expect(reply.text).toBe('{"score": 7, "rationale": "Fi');
    expect(reply.truncated).toBe(true);
  });

  it('rejects a success status whose body is not the protocol (a wrong base URL)', async () => {
    const { provider } = await setUp('openai', { raw: '<html>Welcome to nginx</html>' });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.kind).toBe('protocol');
  });

  it('falls back to JSON mode, with the schema in the prompt, when the server rejects json_schema', async () => {
    const { fake, provider } = await setUp('openai', { json: REVIEW }, {}, { rejectJsonSchema: true });
    await call(provider);
    await call(provider);
    expect(fake.requests.map((r) => (r.body.response_format as { type: string }).type)).toEqual(['json_schema', 'json_object', 'json_object']);
    expect(fake.requests[1]!.system).toContain('matches this JSON Schema');
    expect(fake.requests[1]!.system).toContain('"rationale"');
  });

  it('keeps json_schema when it is configured explicitly', async () => {
    const { provider } = await setUp('openai', { json: REVIEW }, { LLM_STRUCTURED_OUTPUT: 'json_schema' }, { rejectJsonSchema: true });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.status).toBe(400);
  });

  it('switches to max_completion_tokens when the model asks for it', async () => {
    const { fake, provider } = await setUp('openai', (req) =>
      'max_tokens' in req.body
        ? { status: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." }
        : { json: REVIEW },
    );
    await call(provider);
    expect(fake.requests.at(-1)!.body.max_completion_tokens).toBe(300);
  });

  it('says what to check when the endpoint answers 404', async () => {
    const { provider } = await setUp('openai', { status: 404, message: 'page not found' });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.message).toMatch(/HTTP 404: .*page not found.*Check LLM_BASE_URL \(OpenAI-compatible servers usually end in \/v1/);
  });

  it('stops waiting for a retry when the run is cancelled', async () => {
    const { provider } = await setUp('openai', { status: 429, headers: { 'retry-after': '30' } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t0 = Date.now();
    const error = (await call(provider, controller.signal).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('AbortError');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('Anthropic provider', () => {
  it('sends the Messages API request with a forced tool for the schema, and reads the tool input and usage', async () => {
    const { fake, provider } = await setUp('anthropic', { json: REVIEW, usage: { prompt: 90, completion: 12 } });
    const reply = await call(provider);
    expect(JSON.parse(reply.text)).toEqual(REVIEW);
    expect(reply.usage).toEqual({ promptTokens: 90, completionTokens: 12 });
    const [req] = fake.requests;
    expect(req!.path).toBe('/v1/messages');
    expect(req!.headers['x-api-key']).toBe('test-key');
    expect(req!.headers['anthropic-version']).toBe('2023-06-01');
    expect(req!.body).toMatchObject({
      model: 'fake-model-1',
      max_tokens: 300,
      system: REQUEST.system,
      messages: REQUEST.messages,
      tools: [{ name: 'review', input_schema: JSON_SCHEMAS.review }],
      tool_choice: { type: 'tool', name: 'review' },
    });
    expect(fake.protocolErrors).toEqual([]);
  });

  it('honours Retry-After on 429 and on 529 (overloaded)', async () => {
    const { fake, provider } = await setUp('anthropic', [
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 529, headers: { 'retry-after': '0' } },
      { json: REVIEW },
    ], { LLM_MAX_RETRIES: '2' });
    await call(provider);
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('accepts a base URL that already ends in /v1', async () => {
    const { fake } = await setUp('anthropic', { json: REVIEW });
    const provider = createAnthropicProvider(settingsFor(fake, 'anthropic', { LLM_BASE_URL: `${fake.url}/v1` }));
    await call(provider);
    expect(fake.requests[0]!.path).toBe('/v1/messages');
  });

  it('reports stop_reason "refusal" as a refusal', async () => {
    const { provider } = await setUp('anthropic', { refusal: 'No.' });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.kind).toBe('refusal');
  });

  it('accepts a plain text reply and passes it on for validation', async () => {
    const { provider } = await setUp('anthropic', { text: 'Here you go: {"score": 3, "rationale": "Thin."}' });
    const reply = await call(provider);
    expect(reply.text).toContain('"score": 3');
  });

  it('times out a hanging call', async () => {
    const { provider } = await setUp('anthropic', { hang: true }, { LLM_TIMEOUT_MS: '150', LLM_MAX_RETRIES: '0' });
    const error = (await call(provider).catch((e: unknown) => e)) as ModelError;
    expect(error.kind).toBe('timeout');
  });
});

describe('Retry-After parsing', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '2' }, now)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });
});
