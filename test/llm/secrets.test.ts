/**
 * Issue 12: an endpoint whose error text echoes the API key ("Incorrect API key provided: sk-…") put
 * the key into the report's limitations (posted to the channel) and into the logs. The configured keys
 * are cut out of every error message that reaches a report, a failure message or a log line.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config.js';
import { postJson } from '../../src/engines/llm/http.js';
import { ModelError } from '../../src/engines/llm/model-error.js';
import { createLogger } from '../../src/logger.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { createRuntime } from '../../src/runtime.js';
import { redactSecrets, secretValues } from '../../src/text/redact.js';
import { startFakeLlm, type FakeLlm } from './fake-llm-server.js';
import { captureIo, FIXTURE_CORPUS, llmEnv, QUESTION } from './helpers.js';

const KEY = 'sk-proj-Sup3rS3cretKeyValue0123456789';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { destination, text: () => chunks.join('') };
}

describe('redactSecrets', () => {
  it('cuts each secret, also URL-encoded and JSON-escaped, and leaves short values alone', () => {
    const secret = 'ab/c+d"e==';
    const text = `raw ${secret} url ${encodeURIComponent(secret)} json ${JSON.stringify(secret)}`;
    expect(redactSecrets(text, [secret])).toBe('raw [redacted] url [redacted] json "[redacted]"');
    expect(redactSecrets('Ollama at http://localhost:11434 (key ollama)', ['ollama'])).toBe('Ollama at http://localhost:11434 (key ollama)');
    expect(redactSecrets('nothing', [])).toBe('nothing');
  });

  it('knows the configured secrets, including a STORE_URL password', () => {
    expect(secretValues({ LLM_API_KEY: KEY, NCBI_API_KEY: 'ncbi-key-1', STORE_URL: 'redis://user:hunter2@host:6379', SLACK_BOT_TOKEN: '  ' }).sort()).toEqual(
      [KEY, 'hunter2', 'ncbi-key-1'].sort(),
    );
  });
});

describe('an endpoint echoing the API key in its error', () => {
  it('never puts the key into the ModelError (message, body or cause)', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: { status: 500, message: `Upstream failed for Authorization: Bearer ${KEY}` } });
    const error = await postJson({
      url: `${fake.url}/chat/completions`,
      headers: { authorization: `Bearer ${KEY}` },
      body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      signal: new AbortController().signal,
      timeoutMs: 2000,
      maxRetries: 1,
      secrets: [KEY],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    const model = error as ModelError;
    expect(model.message).toContain('Bearer [redacted]');
    expect(JSON.stringify({ message: model.message, body: model.body, cause: (model.cause as Error).message })).not.toContain(KEY);
  });

  it.each(['openai', 'anthropic'] as const)('keeps the key out of the report, its Markdown and the logs (%s)', async (protocol) => {
    fake = await startFakeLlm({ protocol, script: { status: 401, message: `Incorrect API key provided: ${KEY}. You can find your API key at https://example.invalid/keys.` } });
    const env = llmEnv(fake, protocol, { LLM_API_KEY: KEY, LLM_MAX_RETRIES: '0' });
    const logs = capture();
    const log = createLogger({ level: 'trace', destination: logs.destination, secrets: secretValues(env) });
    const runtime = createRuntime(loadConfig(env), log, { corpus: [FIXTURE_CORPUS], offline: true });
    const report = await runtime.synthesize({ question: QUESTION });
    expect(report.limitations.join('\n')).toContain('Incorrect API key provided: [redacted]');
    expect(JSON.stringify(report)).not.toContain(KEY);
    expect(renderMarkdown(report)).not.toContain(KEY);
    expect(logs.text()).toContain('[redacted]');
    expect(logs.text()).not.toContain(KEY);
  });

  it('keeps the key out of the CLI failure message with LLM_ON_ERROR=fail', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: { status: 401, message: `Incorrect API key provided: ${KEY}.` } });
    const cli = captureIo(llmEnv(fake, 'openai', { LLM_API_KEY: KEY, LLM_MAX_RETRIES: '0', LLM_ON_ERROR: 'fail' }));
    const code = await main(['--offline', '--corpus', FIXTURE_CORPUS, QUESTION], cli.io);
    expect(code).toBe(1);
    expect(cli.err()).toContain('Incorrect API key provided: [redacted]');
    expect(cli.err() + cli.out()).not.toContain(KEY);
  });
});

describe('the logger', () => {
  it('cuts the configured secrets from messages, error messages and nested fields', () => {
    const logs = capture();
    const log = createLogger({ level: 'trace', destination: logs.destination, secrets: [KEY, 'ncbi-key-1'] });
    log.error({ err: new Error(`failed with ${KEY}`), url: 'https://eutils.example/esearch.fcgi?api_key=ncbi-key-1' }, `call with ${KEY} failed`);
    log.child({ stage: 'x' }).warn({ nested: { text: `x ${KEY}` } }, 'child');
    expect(logs.text()).not.toContain(KEY);
    expect(logs.text()).not.toContain('ncbi-key-1');
    expect(logs.text().match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(4);
  });
});
