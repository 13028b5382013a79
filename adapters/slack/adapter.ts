/**
 * The Slack adapter: a Bolt app (HTTP mode, or Socket Mode when `SLACK_APP_TOKEN` is set) over the core.
 * `/synthesize <question>` and `@bot <question>` start a run that is followed in a thread; the answer
 * arrives in Block Kit with expandable claims. Bolt does the transport and the request signatures;
 * the listeners live in `handlers.ts` and `interactions.ts`.
 * See https://docs.slack.dev/tools/bolt-js/
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import { WebClient, type RetryOptions } from '@slack/web-api';
import { z } from 'zod';
import type { AdapterModule, ChatAdapter } from '../adapter.js';
import type { Core } from '../../src/core.js';
import { ConfigError } from '../../src/errors.js';
import { createAckGate } from './ack-gate.js';
import { createBoltLogger } from './bolt-logger.js';
import { loadSlackConfig, SLACK_VARIABLES, type SlackConfig } from './config.js';
import { createSlackGateway, SLACK_RATE_LIMITS, type RateLimits, type SlackGateway } from './gateway.js';
import { registerRunHandlers } from './handlers.js';
import { registerInteractionHandlers } from './interactions.js';
import { createSlackPlatform } from './platform.js';
import { createGuardedReceiver } from './receiver.js';
import { ACTION, actionPattern, FLAG_VIEW } from './actions.js';
import { COMMAND } from './messages.js';
import type { SlackMessage } from './progress-view.js';
import { createSlackState } from './state.js';
import { createClaims } from '../shared/claims.js';
import { createConversation, type Conversation } from '../shared/conversation.js';

/** Options beyond the environment (tests and the bench tune these). */
export interface SlackAdapterOptions {
  /** Rate budgets of the Web API lanes (default: Slack's published limits, {@link SLACK_RATE_LIMITS}). */
  limits?: RateLimits;
  /** Least time between two edits of one progress message (default 1000 ms). */
  progressIntervalMs?: number;
  /** Least time between two thread status refreshes (default 3000 ms). */
  statusIntervalMs?: number;
  /** How often a progress message's elapsed time is refreshed while nothing else changes (default 5000 ms). */
  tickMs?: number;
  /** The WebClient's retry policy (default: Bolt's, about ten retries over thirty minutes). */
  retryConfig?: RetryOptions;
}

/** The running adapter, with what tests and the bench need to observe it. */
export interface SlackAdapter extends ChatAdapter {
  /** The HTTP port listened on (HTTP mode, after start). */
  port(): number | undefined;
  /** Resolves when every run followed so far has posted its answer or failure. */
  settled(): Promise<void>;
  /** Calls waiting in the rate lanes. */
  pendingCalls(): number;
}

const AuthTestSchema = z.object({ user_id: z.string().min(1), bot_id: z.string().optional(), team_id: z.string().optional() });

/** Creates the Slack adapter; nothing connects until `start()`. */
export function createSlackAdapter(config: SlackConfig, core: Core, options: SlackAdapterOptions = {}): SlackAdapter {
  const log = core.log.child({ adapter: 'slack' });
  const secrets = [config.botToken, config.signingSecret, config.appToken].filter((s): s is string => Boolean(s));
  const logger = createBoltLogger(log, secrets);
  const clientOptions = { slackApiUrl: config.apiUrl, logger, ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}) };
  let app: App | undefined;
  let server: Server | undefined;
  let conversation: Conversation<SlackMessage> | undefined;
  let gateway: SlackGateway | undefined;

  return {
    name: 'slack',
    async start() {
      const client = new WebClient(config.botToken, clientOptions);
      let auth: z.infer<typeof AuthTestSchema>;
      try {
        auth = AuthTestSchema.parse(await client.auth.test());
      } catch (error) {
        const reason = (error as { data?: { error?: string } }).data?.error ?? (error as Error).message;
        throw new ConfigError('SLACK_BOT_TOKEN', `Slack did not accept the bot token (${reason}). Reinstall the app and copy the Bot User OAuth Token.`);
      }
      const common = {
        token: config.botToken,
        botUserId: auth.user_id,
        ...(auth.bot_id ? { botId: auth.bot_id } : {}),
        // auth.test ran above; with the ids given, Bolt need not call it again.
        tokenVerificationEnabled: false,
        logger,
        clientOptions,
      };
      app =
        config.mode === 'socket'
          ? new App({ ...common, appToken: config.appToken!, socketMode: true })
          : new App({
              ...common,
              // Bolt's receiver behind a screen: a malformed signed body gets a 400, never a crash.
              receiver: createGuardedReceiver({
                signingSecret: config.signingSecret!,
                port: config.port,
                logger,
                log,
                // What the listeners in handlers.ts and interactions.ts take; anything else is acked at once.
                handled: { commands: [COMMAND], actions: Object.values(ACTION).map((kind) => actionPattern(kind)), views: [FLAG_VIEW] },
                customRoutes: [
                  { path: '/healthz', method: ['GET'], handler: (_req, res) => void res.writeHead(200).end('ok') },
                  // Ready when the store (and the queue's Redis, in the scale-out mode) answers.
                  {
                    path: '/readyz',
                    method: ['GET'],
                    handler: (_req, res) =>
                      void core.ready().then((ready) => res.writeHead(ready.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(ready))),
                  },
                ],
              }),
            });
      gateway = createSlackGateway(app.client, options.limits ?? SLACK_RATE_LIMITS);
      const state = createSlackState(core.stores.state);
      const platform = createSlackPlatform(gateway, state, log, auth.user_id);
      conversation = createConversation({
        core,
        platform,
        log,
        ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
        ...(options.statusIntervalMs !== undefined ? { statusIntervalMs: options.statusIntervalMs } : {}),
        ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      });
      const gate = createAckGate();
      const deps = { core, conversation, transport: platform.transport, claims: createClaims(core.stores), state, log, botUserId: auth.user_id, gate };
      registerRunHandlers(app, deps);
      registerInteractionHandlers(app, { ...deps, gateway });
      const started = await app.start();
      if (config.mode === 'http') {
        server = started as Server;
        gate.watch(server);
      }
      log.info({ mode: config.mode, port: this.port(), botUserId: auth.user_id }, 'Slack adapter listening');
    },
    async announceInterrupted(jobs) {
      await conversation?.resume(jobs);
    },
    async stop() {
      await app?.stop();
      server = undefined;
      conversation?.close();
    },
    port() {
      const address = server?.address() as AddressInfo | null | undefined;
      return address ? address.port : undefined;
    },
    async settled() {
      await conversation?.settled();
    },
    pendingCalls() {
      return gateway?.pending() ?? 0;
    },
  };
}

/** The Slack adapter as `npm start` sees it. */
export const slackAdapterModule: AdapterModule<SlackConfig> = {
  name: 'slack',
  variables: SLACK_VARIABLES,
  loadConfig: loadSlackConfig,
  create: (config, core) => createSlackAdapter(config, core),
};
