/**
 * The Discord adapter: a discord.js v14 `Client` on the gateway (intents Guilds and GuildMessages; no
 * privileged intent), `/synthesize` and `@bot <question>` starting runs that are followed in a thread,
 * claim buttons answered from the report store. `npm start` starts it when `DISCORD_TOKEN` is set.
 * https://discord.js.org/docs/packages/discord.js/14.x
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { Agent } from 'undici';
import type { ChatAdapter, AdapterModule } from '../adapter.js';
import type { Core } from '../../src/core.js';
import { SynthError } from '../../src/errors.js';
import { DISCORD_ENABLING_VARIABLE, loadDiscordConfig, type DiscordConfig } from './config.js';
import { createConversation } from '../shared/conversation.js';
import { createInteractionHandler } from './interactions.js';
import { createMentionHandler } from './mentions.js';
import { loggableError } from './messages.js';
import { createDiscordPlatform } from './platform.js';
import { createDiscordWriter } from './rest-writes.js';

/** Options for tests and tuning; none is needed in production. */
export interface DiscordAdapterOptions {
  /** Least time between two edits of one progress message (default 1,500 ms). */
  progressIntervalMs?: number;
  /** How often a progress message's elapsed time is refreshed while nothing else changes (default 5,000 ms). */
  tickMs?: number;
  /** How long the interaction token is used after the command (default 13 of its 15 minutes). */
  interactionTokenMs?: number;
  /** How long to wait for the gateway to become ready (default 30 s). */
  readyTimeoutMs?: number;
}

/** A running Discord adapter; `client` is exposed for tests and diagnostics. */
export interface DiscordAdapter extends ChatAdapter {
  readonly client: Client;
  /** Resolves when every run followed so far has posted its answer or failure. */
  settled(): Promise<void>;
}

/** Creates the Discord adapter over the core. */
export function createDiscordAdapter(config: DiscordConfig, core: Core, options: DiscordAdapterOptions = {}): DiscordAdapter {
  const log = core.log.child({ adapter: 'discord' });
  const client = new Client({
    // Guilds: channels and threads in cache; GuildMessages: MESSAGE_CREATE for mentions. Mentions carry
    // their content without the privileged MessageContent intent.
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
    allowedMentions: { parse: [], repliedUser: false },
    // An agent of our own (the undici discord.js uses, see test/core/boundaries.test.ts) rather than
    // undici's process-wide default: another undici major loaded first (Slack's Socket Mode brings
    // undici 7) would install its agent there, and it mangles this client's file uploads.
    rest: { ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}), agent: new Agent({ connect: { timeout: 10_000 } }) },
  });
  const writer = createDiscordWriter(client.rest);
  const conversation = createConversation({
    core,
    platform: createDiscordPlatform(writer),
    log,
    loggable: loggableError,
    progressIntervalMs: options.progressIntervalMs ?? 1500,
    ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
  });
  const onInteraction = createInteractionHandler({
    conversation,
    log,
    getReport: (reportId) => core.runner.getReport(reportId),
    ...(options.interactionTokenMs !== undefined ? { interactionTokenMs: options.interactionTokenMs } : {}),
  });
  const onMessage = createMentionHandler({ conversation, writer, log });
  client.on(Events.InteractionCreate, (interaction) => void onInteraction(interaction));
  client.on(Events.MessageCreate, (message) => void onMessage(message));
  client.on(Events.Error, (error) => log.error({ err: loggableError(error) }, 'discord client error'));
  client.on(Events.ShardDisconnect, (event, shard) => log.warn({ code: event.code, shard }, 'gateway disconnected'));

  return {
    name: 'discord',
    client,
    async start() {
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new SynthError('internal', 'Discord did not report ready in time; check DISCORD_TOKEN and the network.')),
          options.readyTimeoutMs ?? 30_000,
        );
        client.once(Events.ClientReady, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      try {
        await client.login(config.DISCORD_TOKEN);
        await ready;
      } catch (error) {
        await client.destroy();
        throw new SynthError('config', `Discord login failed: ${loggableError(error).message as string}. Check DISCORD_TOKEN.`, { cause: error });
      }
      log.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord connected');
    },
    async stop() {
      conversation.close();
      await client.destroy();
    },
    settled: () => conversation.settled(),
    announceInterrupted: (jobs) => conversation.resume(jobs),
  };
}

/** The Discord adapter as `npm start` sees it. */
export const discordAdapterModule: AdapterModule<DiscordConfig> = {
  name: 'discord',
  variables: [DISCORD_ENABLING_VARIABLE, 'DISCORD_APPLICATION_ID'],
  loadConfig: loadDiscordConfig,
  create: (config, core) => createDiscordAdapter(config, core),
};
