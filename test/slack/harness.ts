/**
 * The end-to-end harness: the real Bolt app (HTTP mode, ephemeral port) over a real core with memory
 * stores, its Web API pointed at the loopback fake, and helpers that send signed requests to it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createSlackAdapter, type SlackAdapter, type SlackAdapterOptions } from '../../adapters/slack/adapter.js';
import { loadSlackConfig } from '../../adapters/slack/config.js';
import type { RateLimits } from '../../adapters/slack/gateway.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/logger.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { SHARED_DATA } from './block-kit.js';
import { createFakeSlack, type FakeSlack, type FakeSlackOptions } from './fake-slack.js';
import { appMentionBody, buttonClickBody, postSigned, slashCommandBody } from './slack-requests.js';

/** Secrets the harness uses; tests check none of them reaches the logs. */
export const SECRETS = {
  botToken: 'xoxb-1111111111-2222222222-SeCrEtBoTtOkEn',
  signingSecret: 'signing-secret-8f14e45fceea167a5a36dedd4bea2543',
};

/** The SciFact corpus in the shared data. */
export const SCIFACT = resolve(SHARED_DATA, 'scifact', 'corpus.jsonl.gz');
/** The hand-made corpus whose papers carry mention syntax, `&` and markdown. */
export const HOSTILE_CORPUS = fileURLToPath(new URL('../fixtures/slack/hostile-corpus.jsonl', import.meta.url));

/** Wide rate lanes for tests that are not about pacing. */
export const TEST_LIMITS: RateLimits = {
  postPerChannel: { cap: 20, intervalMs: 1000 },
  update: { cap: 50, intervalMs: 1000 },
  status: { cap: 50, intervalMs: 1000 },
  other: { cap: 50, intervalMs: 1000 },
};

/** Options of {@link startSlackHarness}. */
export interface HarnessOptions {
  /** A scripted synthesize; otherwise a real runtime over `corpus` (or `runtime` as given). */
  synthesize?: Synthesize;
  runtime?: Runtime;
  corpus?: string[];
  fake?: FakeSlackOptions;
  adapter?: SlackAdapterOptions;
  env?: Record<string, string>;
  /** Share stores across harnesses (a restart); they are then not closed by `close`. */
  stores?: Stores;
  /** Talk to this running fake instead of starting one (a restart talks to the same Slack); it is then not closed by `close`. */
  fakeSlack?: FakeSlack;
  /** The runs' lease (default: the core's). */
  leaseMs?: number;
}

/** A running harness. */
export interface Harness {
  fake: FakeSlack;
  adapter: SlackAdapter;
  core: Core;
  /** The app's Request URL. */
  url: string;
  /** Everything logged so far (level trace). */
  logs(): string;
  command(text: string, fields?: { channel?: string; user?: string; triggerId?: string; timestamp?: number; signWith?: string }): Promise<{ status: number; ms: number; text: string }>;
  click(fields: { actionId: string; value: string; channel: string; messageTs: string; threadTs?: string; user?: string }): Promise<{ status: number; text: string }>;
  mention(fields: { eventId: string; channel: string; text: string; ts: string; threadTs?: string; user?: string; retryNum?: number }): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** Starts fake, core and adapter. */
export async function startSlackHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = options.fakeSlack ?? (await createFakeSlack({ token: SECRETS.botToken, ...options.fake }));
  const env = { STORE_URL: 'memory://', SYNTH_SOURCES: 'none', LOG_LEVEL: 'trace', SYNTH_MAX_RUNS_PER_USER: '2', ...options.env };
  const chunks: string[] = [];
  const log = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  const config = loadConfig(env);
  const stores = options.stores ?? (await createStores('memory://'));
  const runtime: Runtime = options.runtime
    ? options.runtime
    : options.synthesize
    ? ({ synthesize: options.synthesize, engine: undefined, sources: [], skipped: [] } as unknown as Runtime)
    : createRuntime(config, log, { corpus: options.corpus ?? [SCIFACT], offline: true });
  const core = await createCore(config, log, { stores, runtime, ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}) });
  const slackConfig = loadSlackConfig({
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
  })!;
  const adapter = createSlackAdapter(slackConfig, core, {
    retryConfig: { retries: 2, factor: 1, minTimeout: 50, maxTimeout: 200 },
    // Tests that are not about pacing run with short intervals and wide lanes; the bench keeps Slack's.
    statusIntervalMs: 100,
    limits: TEST_LIMITS,
    ...options.adapter,
  });
  await adapter.start();
  const url = `http://127.0.0.1:${adapter.port()}/slack/events`;
  let responseCounter = 0;

  return {
    fake,
    adapter,
    core,
    url,
    logs: () => chunks.join(''),
    command(text, fields = {}) {
      const body = slashCommandBody({
        text,
        channel: fields.channel ?? 'C0RESEARCH',
        user: fields.user ?? 'U0ASKER',
        responseUrl: `${fake.baseUrl}/response/${++responseCounter}`,
        ...(fields.triggerId ? { triggerId: fields.triggerId } : {}),
      });
      return postSigned(url, body, {
        secret: SECRETS.signingSecret,
        contentType: 'application/x-www-form-urlencoded',
        ...(fields.timestamp !== undefined ? { timestamp: fields.timestamp } : {}),
        ...(fields.signWith ? { signWith: fields.signWith } : {}),
      });
    },
    click(fields) {
      const responseUrl = `${fake.baseUrl}/response/${fields.channel}/${fields.messageTs}/${++responseCounter}`;
      const body = buttonClickBody({ user: 'U0ASKER', responseUrl, ...fields });
      return postSigned(url, body, { secret: SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' });
    },
    mention(fields) {
      const body = appMentionBody({ user: 'U0ASKER', ...fields });
      return postSigned(url, body, {
        secret: SECRETS.signingSecret,
        contentType: 'application/json',
        ...(fields.retryNum ? { headers: { 'x-slack-retry-num': String(fields.retryNum), 'x-slack-retry-reason': 'http_timeout' } } : {}),
      });
    },
    async close() {
      await adapter.stop();
      await core.close();
      await adapter.settled();
      if (!options.stores) await stores.close();
      if (!options.fakeSlack) await fake.close();
    },
  };
}
