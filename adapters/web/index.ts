/**
 * The web adapter: a local page where you ask a question and watch the same conversation the chat
 * platforms get (the shared conversation drives it: parent, live progress, answer with expandable
 * claims, Cancel, Retry), and a page per report (`/reports/:id`, also for reports made in Slack or
 * Discord). The embedded default of `npm start`: it needs no token. See README "Try it locally".
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdapterModule, ChatAdapter } from '../adapter.js';
import type { Core } from '../../src/core.js';
import { ConfigError } from '../../src/errors.js';
import { createConversation, type Conversation } from '../shared/conversation.js';
import { loadWebConfig, WEB_VARIABLES, type WebConfig } from './config.js';
import { createHub, type Hub, type WebMessage } from './hub.js';
import { reportPath, signedQuery } from './links.js';
import { createWebPlatform } from './platform.js';
import type { ReportLinks } from './render.js';
import { createWebApp, persistentSecret, type ServerLimits } from './server.js';

export { reportUrl } from './links.js';
export { loadWebConfig, WebEnvSchema, type WebConfig } from './config.js';

/** Options beyond the environment (tests and the bench tune these). */
export interface WebAdapterOptions {
  /** Least time between two edits of one progress message, and the delay before it is first shown (default 40 ms: the page has no rate limit to keep to). */
  progressIntervalMs?: number;
  /** How often the elapsed time is refreshed while nothing else changes (default 1,000 ms). */
  tickMs?: number;
  limits?: Partial<ServerLimits>;
}

/** The running adapter, with what tests and the bench need. */
export interface WebAdapter extends ChatAdapter {
  /** The port listened on, after start. */
  port(): number | undefined;
  /** The page's address, after start. */
  url(): string | undefined;
  /** Resolves when every run followed so far has posted its answer or failure. */
  settled(): Promise<void>;
  /** The visitors' channels (tests read them). */
  readonly hub: Hub;
}

/** Creates the web adapter; nothing listens until `start()`. */
export function createWebAdapter(config: WebConfig, core: Core, options: WebAdapterOptions = {}): WebAdapter {
  const log = core.log.child({ adapter: 'web' });
  const hub = createHub({ state: core.stores.state });
  let server: Server | undefined;
  let conversation: Conversation<WebMessage> | undefined;
  let closeStreams: (() => void) | undefined;

  const adapter: WebAdapter = {
    name: 'web',
    hub,
    async start() {
      const secret = config.secret ?? (await persistentSecret(core.stores.state));
      // Locally the report pages open by their (unguessable) id; exposed, the links the page shows are signed.
      const signing = { ...(config.exposed ? { secret } : {}), ttlMs: config.linkTtlMs };
      const links: ReportLinks = {
        page: (id) => reportPath(id, signing),
        download: (id, format) => `/reports/${encodeURIComponent(id)}/download/${format}${signedQuery(id, signing)}`,
      };
      const platform = createWebPlatform(hub, links);
      conversation = createConversation({ core, platform, log, progressIntervalMs: options.progressIntervalMs ?? 40, tickMs: options.tickMs ?? 1000 });
      const web = createWebApp({ config, core, hub, conversation, log, secret, ...(options.limits ? { limits: options.limits } : {}) });
      closeStreams = web.closeStreams;
      const created = createAdaptorServer({ fetch: web.app.fetch }) as Server;
      server = created;
      await new Promise<void>((resolve, reject) => {
        const failed = (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'EADDRINUSE'
              ? new ConfigError('WEB_PORT', `port ${config.port} on ${config.host} is in use (Slack's HTTP mode listens on PORT, 3000 by default): set WEB_PORT to another port, or WEB_PORT=off.`)
              : error,
          );
        };
        created.once('error', failed);
        created.listen(config.port, config.host, () => {
          created.off('error', failed);
          resolve();
        });
      });
      log.info({ url: adapter.url(), exposed: config.exposed }, 'web page listening');
    },
    async announceInterrupted(jobs) {
      await conversation?.resume(jobs);
    },
    async stop() {
      closeStreams?.();
      conversation?.close();
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
        setTimeout(() => s.closeAllConnections(), 1000).unref();
      });
    },
    port() {
      const address = server?.address() as AddressInfo | null | undefined;
      return address ? address.port : undefined;
    },
    url() {
      const port = adapter.port();
      if (port === undefined) return undefined;
      if (config.publicUrl) return `${config.publicUrl}/`;
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    },
    async settled() {
      await conversation?.settled();
    },
  };
  return adapter;
}

/** The web adapter as `npm start` sees it: the embedded default, loaded after the chat platforms. */
export const webAdapterModule: AdapterModule<WebConfig> = {
  name: 'web',
  variables: WEB_VARIABLES,
  embeddedDefault: true,
  loadConfig: (env, context) => loadWebConfig(env, context),
  create: (config, core) => createWebAdapter(config, core),
};
