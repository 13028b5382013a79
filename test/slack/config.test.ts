import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ADAPTER_MODULES } from '../../adapters/modules.js';
import { createSlackAdapter } from '../../adapters/slack/adapter.js';
import { createBoltLogger, scrubSecrets } from '../../adapters/slack/bolt-logger.js';
import { loadSlackConfig, SlackEnvSchema } from '../../adapters/slack/config.js';
import { startAdapters } from '../../adapters/start.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createStores } from '../../src/store/store.js';
import { createFakeSlack } from './fake-slack.js';

const TOKEN = 'xoxb-9999-8888-ThisIsSecret';

function captureLogger() {
  const chunks: string[] = [];
  const log = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  return { log, text: () => chunks.join('') };
}

describe('Slack configuration', () => {
  it('is off without SLACK_BOT_TOKEN', () => {
    expect(loadSlackConfig({})).toBeUndefined();
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: '  ', SLACK_SIGNING_SECRET: 'x' })).toBeUndefined();
  });

  it('uses HTTP mode with a signing secret, on PORT (default 3000)', () => {
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'shh' })).toEqual({
      botToken: TOKEN,
      signingSecret: 'shh',
      apiUrl: 'https://slack.com/api/',
      port: 3000,
      mode: 'http',
    });
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'shh', PORT: '8080', SLACK_API_URL: 'http://127.0.0.1:9/api' })).toMatchObject({
      port: 8080,
      apiUrl: 'http://127.0.0.1:9/api/',
    });
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set, without a signing secret', () => {
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_APP_TOKEN: 'xapp-1-A1-secret' })).toMatchObject({ mode: 'socket', appToken: 'xapp-1-A1-secret' });
  });

  it('names the variable and the fix, never echoing a secret', () => {
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN })).toThrow(/SLACK_SIGNING_SECRET: is required in HTTP mode/);
    const wrong = 'xoxp-user-token-that-is-secret';
    let error: unknown;
    try {
      loadSlackConfig({ SLACK_BOT_TOKEN: wrong, SLACK_SIGNING_SECRET: 'x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('SLACK_BOT_TOKEN');
    expect((error as Error).message).toMatch(/must be a bot token starting with xoxb-/);
    expect((error as Error).message).not.toContain(wrong);
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'x', PORT: 'http' })).toThrow(/PORT: must be a port number \(got "http"\)/);
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'x', SLACK_API_URL: 'ftp://x' })).toThrow(/SLACK_API_URL/);
  });

  it('lists every Slack variable in .env.example, and nothing else under Slack', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const listed = [...example.matchAll(/^(SLACK_[A-Z_]+|PORT)=/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(SlackEnvSchema.shape).sort());
  });

  it('is started by npm start, and named when nothing is configured', async () => {
    expect(ADAPTER_MODULES.map((m) => m.name)).toContain('slack');
    // With the web page (the embedded default) turned off too, nothing is configured.
    await expect(startAdapters({ STORE_URL: 'memory://', LOG_LEVEL: 'silent', WEB_ENABLED: 'false' })).rejects.toThrow(/slack: SLACK_BOT_TOKEN/);
  });
});

describe('secrets and logs', () => {
  it('the core logger redacts the Slack settings wherever they are logged as fields', () => {
    const { log, text } = captureLogger();
    log.info({ config: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'sign-secret' }, headers: { authorization: `Bearer ${TOKEN}` }, botToken: TOKEN }, 'settings');
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain(TOKEN);
    expect(text()).not.toContain('sign-secret');
  });

  it("Bolt's string logs are scrubbed of the secrets and of anything shaped like a token", () => {
    const { log, text } = captureLogger();
    const bolt = createBoltLogger(log, [TOKEN, 'signing-secret-value']);
    bolt.debug('http request headers:', { Authorization: `Bearer ${TOKEN}` }, 'secret signing-secret-value');
    bolt.error(new Error(`failed with xapp-1-A0-other-token and ${TOKEN}`));
    expect(text()).not.toContain(TOKEN);
    expect(text()).not.toContain('signing-secret-value');
    expect(text()).not.toContain('xapp-1');
    expect(scrubSecrets('a xoxb-1-2-abc b', [])).toBe('a [redacted] b');
  });

  it('a rejected token stops start-up with a message that names the variable, not the token', async () => {
    const fake = await createFakeSlack({ token: 'xoxb-the-right-one' });
    const { log, text } = captureLogger();
    const stores = await createStores('memory://');
    const core = await createCore(loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none' }), log, { stores });
    try {
      const adapter = createSlackAdapter(loadSlackConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'x', SLACK_API_URL: fake.apiUrl, PORT: '0' })!, core, {
        retryConfig: { retries: 0 },
      });
      const error = await adapter.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^SLACK_BOT_TOKEN: Slack did not accept the bot token \(invalid_auth\)/);
      expect((error as Error).message + text()).not.toContain(TOKEN);
    } finally {
      await core.close();
      await fake.close();
    }
  });
});
