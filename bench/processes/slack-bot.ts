/**
 * The bot side of `bench/slack.ts`, run in its own process so the load generator and the fake Web API
 * (in the parent) do not share its event loop. `BENCH_BOT` picks it: `bare`, a Bolt app that only acks;
 * `scripted`, the real adapter and core whose runs wait on timers like runs on live sources do;
 * `extractive`, the real adapter and core running the extractive engine over SciFact in-process.
 * Talks to the parent over IPC.
 */
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { createSlackAdapter } from '../../adapters/slack/adapter.js';
import { createWebAdapter, loadWebConfig } from '../../adapters/web/index.js';
import { createBoltLogger } from '../../adapters/slack/bolt-logger.js';
import { loadSlackConfig } from '../../adapters/slack/config.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { silentLogger } from '../../src/logger.js';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { createStores } from '../../src/store/store.js';
import { makeReport, scriptedSynthesize } from '../../test/slack/scripted.js';

/** Messages from the parent. */
export type BenchRequest = { type: 'runs-done'; users: string[] } | { type: 'settled' } | { type: 'stop' };
/** Messages to the parent. */
export type BenchReply = { type: 'ready'; port: number } | { type: 'runs-done' } | { type: 'settled' };

const send = (reply: BenchReply) => process.send?.(reply);
// Never outlive the bench: the parent's exit closes the IPC channel.
process.on('disconnect', () => process.exit(0));
const env = process.env;

if (env.BENCH_BOT === 'bare') {
  const logger = createBoltLogger(silentLogger, []);
  const app = new App({
    token: env.SLACK_BOT_TOKEN!,
    signingSecret: env.SLACK_SIGNING_SECRET!,
    botUserId: 'UBOT',
    botId: 'B0FAKE',
    tokenVerificationEnabled: false,
    logger,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: env.SLACK_API_URL!, logger },
    port: 0,
  });
  app.command('/synthesize', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start()) as Server;
  send({ type: 'ready', port: (server.address() as { port: number }).port });
  process.on('message', (message: BenchRequest) => {
    if (message.type === 'stop') void app.stop().then(() => process.exit(0));
  });
} else {
  const config = loadConfig({ ...env, STORE_URL: 'memory://', SYNTH_SOURCES: 'none', LOG_LEVEL: 'silent' });
  const stores = await createStores('memory://');
  // Scripted runs: eight stages and eight claim checks 100 ms apart, a report of eight claims.
  const runtime =
    env.BENCH_BOT === 'scripted'
      ? ({ synthesize: scriptedSynthesize({ stepMs: 100, verifySteps: 8, report: (id) => makeReport({ id, claims: 8, evidencePerClaim: 3, textWords: 25 }) }) } as unknown as Runtime)
      : createRuntime(config, silentLogger, { corpus: [env.BENCH_CORPUS!], offline: true });
  const core = await createCore(config, silentLogger, { stores, runtime });
  // Load and index the corpus before the first command, as a long-running bot would have.
  if (env.BENCH_BOT === 'extractive') await runtime.synthesize({ question: 'Does vitamin D reduce fracture risk?' });
  const adapter = createSlackAdapter(loadSlackConfig({ ...env, PORT: '0' })!, core);
  await adapter.start();
  // BENCH_WEB=1: the web page runs beside Slack in the same process (same core), as `npm start` runs it with WEB_ENABLED=true.
  if (env.BENCH_WEB === '1') {
    const web = createWebAdapter(loadWebConfig({ WEB_ENABLED: 'true', WEB_PORT: '0' }, { configured: ['slack'] })!, core);
    await web.start();
  }
  send({ type: 'ready', port: adapter.port()! });
  process.on('message', (message: BenchRequest) => {
    if (message.type === 'runs-done') {
      const check = () => (message.users.every((u) => core.runner.activeFor(u).length === 0) ? send({ type: 'runs-done' }) : setTimeout(check, 50));
      check();
    } else if (message.type === 'settled') void adapter.settled().then(() => send({ type: 'settled' }));
    else if (message.type === 'stop') void adapter.stop().then(() => core.close()).then(() => process.exit(0));
  });
}
