/**
 * The web adapter over a core, for tests: memory stores, a free loopback port, and visitors that
 * keep their own cookies, post forms as a browser does (with its Origin) and read the live stream.
 */
import { createWebAdapter, type WebAdapter, type WebAdapterOptions } from '../../adapters/web/index.js';
import { loadWebConfig } from '../../adapters/web/config.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { silentLogger } from '../../src/logger.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { SCIFACT } from '../helpers/paths.js';

/** One message as the live stream sends it. */
export interface StreamedMessage {
  id: string;
  thread: string | null;
  kind: string;
  rev: number;
  text: string;
  html: string;
}

/** A browser, as far as the server can tell: cookies, an Origin, the live stream. */
export interface Visitor {
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, fields?: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  /** Opens the live stream; `messages` fills as events arrive. */
  stream(): Promise<{ messages: StreamedMessage[]; latest(): Map<string, StreamedMessage>; close(): void }>;
}

/** A started web adapter over its own core. */
export interface WebHarness {
  adapter: WebAdapter;
  core: Core;
  stores: Stores;
  base: string;
  visitor(): Visitor;
  close(): Promise<void>;
}

/** Options of {@link startWebHarness}. */
export interface WebHarnessOptions {
  env?: Record<string, string>;
  synthesize?: Synthesize;
  corpus?: string[];
  stores?: Stores;
  adapter?: WebAdapterOptions;
}

/** Starts a core and the web adapter on a free port. */
export async function startWebHarness(options: WebHarnessOptions = {}): Promise<WebHarness> {
  const env = { STORE_URL: 'memory://', SYNTH_SOURCES: 'none', LOG_LEVEL: 'silent', WEB_PORT: '0', ...options.env };
  const config = loadConfig(env);
  const stores = options.stores ?? (await createStores('memory://'));
  const runtime: Runtime = options.synthesize
    ? ({ synthesize: options.synthesize, engine: undefined, sources: [{ name: 'corpus' }], skipped: [] } as unknown as Runtime)
    : createRuntime(config, silentLogger, { corpus: options.corpus ?? [SCIFACT.corpus], offline: true });
  const core = await createCore(config, silentLogger, { stores, runtime });
  const adapter = createWebAdapter(loadWebConfig(env)!, core, { progressIntervalMs: 20, tickMs: 200, ...options.adapter });
  await adapter.start();
  const base = `http://127.0.0.1:${adapter.port()}`;
  const open: (() => void)[] = [];

  const visitor = (): Visitor => {
    const cookies = new Map<string, string>();
    const remember = (response: Response) => {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      return response;
    };
    const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return {
      cookies,
      async get(path, headers = {}) {
        return remember(await fetch(base + path, { headers: { cookie: cookieHeader(), ...headers }, redirect: 'manual' }));
      },
      async post(path, fields = {}, headers = {}) {
        return remember(
          await fetch(base + path, {
            method: 'POST',
            headers: { cookie: cookieHeader(), origin: base, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers },
            body: new URLSearchParams(fields).toString(),
            redirect: 'manual',
          }),
        );
      },
      async stream() {
        const controller = new AbortController();
        const response = await fetch(`${base}/events`, { headers: { cookie: cookieHeader(), accept: 'text/event-stream' }, signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
        const messages: StreamedMessage[] = [];
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        void (async () => {
          let buffer = '';
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += value;
              let end: number;
              while ((end = buffer.indexOf('\n\n')) >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const event = /^event: (.*)$/m.exec(block)?.[1];
                const data = block
                  .split('\n')
                  .filter((l) => l.startsWith('data: '))
                  .map((l) => l.slice(6))
                  .join('\n');
                if (event === 'message') messages.push(JSON.parse(data) as StreamedMessage);
              }
            }
          } catch {
            // Closed.
          }
        })();
        const close = () => controller.abort();
        open.push(close);
        return {
          messages,
          latest() {
            const byId = new Map<string, StreamedMessage>();
            for (const m of messages) if ((byId.get(m.id)?.rev ?? -1) <= m.rev) byId.set(m.id, m);
            return byId;
          },
          close,
        };
      },
    };
  };

  return {
    adapter,
    core,
    stores,
    base,
    visitor,
    async close() {
      for (const close of open) close();
      await adapter.stop();
      await core.close();
      await adapter.settled();
      if (!options.stores) await stores.close();
    },
  };
}

/** Waits until `check` returns a value (not undefined or false). */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
