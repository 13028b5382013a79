import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createSlackAdapter, type SlackAdapter } from '../../adapters/slack/adapter.js';
import { loadSlackConfig } from '../../adapters/slack/config.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { silentLogger } from '../../src/logger.js';
import type { Runtime } from '../../src/runtime.js';
import { createStores } from '../../src/store/store.js';
import { createFakeSlack, type FakeSlack } from './fake-slack.js';
import { SECRETS } from './harness.js';
import { makeReport, scriptedSynthesize } from './scripted.js';

const APP_TOKEN = 'xapp-1-A0FAKE-123-socketsecret';

/**
 * Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode): the app opens a WebSocket to
 * the URL `apps.connections.open` returns; Slack says `hello`, then sends envelopes the app acks by
 * `envelope_id`.
 */
describe('Socket Mode', () => {
  let wss: WebSocketServer;
  let fake: FakeSlack;
  let core: Core;
  let adapter: SlackAdapter;
  const sockets: WebSocket[] = [];
  const acks: { envelope_id: string; payload?: unknown }[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (socket) => {
      sockets.push(socket);
      socket.on('message', (data) => acks.push(JSON.parse(String(data)) as { envelope_id: string }));
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 }, connection_info: { app_id: 'A0FAKE' } }));
    });
    const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link/?ticket=fake`;
    fake = await createFakeSlack({ token: SECRETS.botToken, socketMode: { appToken: APP_TOKEN, url: () => wsUrl } });
    const stores = await createStores('memory://');
    const runtime = { synthesize: scriptedSynthesize({ report: (id) => makeReport({ id }) }) } as unknown as Runtime;
    core = await createCore(loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none' }), silentLogger, { stores, runtime });
    const config = loadSlackConfig({ SLACK_BOT_TOKEN: SECRETS.botToken, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.apiUrl })!;
    expect(config.mode).toBe('socket');
    adapter = createSlackAdapter(config, core);
    await adapter.start();
  });

  afterAll(async () => {
    await adapter.stop();
    await core.close();
    await adapter.settled();
    for (const s of sockets) s.terminate();
    await new Promise((r) => wss.close(r));
    await fake.close();
  });

  it('connects with the app token, acks a /synthesize envelope and answers in a thread', async () => {
    expect(fake.callsOf('apps.connections.open')).toHaveLength(1);
    expect(adapter.port()).toBeUndefined();
    await fake.waitFor(() => sockets.length === 1, 5000, 'the socket');
    sockets[0]!.send(
      JSON.stringify({
        envelope_id: 'env-1',
        type: 'slash_commands',
        accepts_response_payload: true,
        payload: {
          token: 'unused',
          team_id: 'T0FAKE',
          team_domain: 'fake',
          channel_id: 'C0SOCKET',
          channel_name: 'research',
          user_id: 'U0ASKER',
          user_name: 'researcher',
          command: '/synthesize',
          text: 'Does it work over a socket?',
          api_app_id: 'A0FAKE',
          is_enterprise_install: 'false',
          response_url: `${fake.baseUrl}/response/socket`,
          trigger_id: 'trigger-socket-1',
        },
      }),
    );
    await fake.waitFor(() => acks.some((a) => a.envelope_id === 'env-1'), 5000, 'the ack');
    await fake.waitFor(() => fake.callsOf('chat.postMessage').some((c) => String(c.args.text).startsWith('Answer')), 10_000, 'the answer');
    const posts = fake.callsOf('chat.postMessage');
    expect(posts[0]!.args).toMatchObject({ channel: 'C0SOCKET', text: 'Researching: “Does it work over a socket?”, asked by <@U0ASKER>' });
    expect(posts.slice(1).every((p) => typeof p.args.thread_ts === 'string')).toBe(true);
  });
});
