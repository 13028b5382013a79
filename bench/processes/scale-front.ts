/**
 * The front end of `bench/scale.ts`: `npm start`'s own start-up (`startAdapters`) with the Slack
 * adapter in HTTP mode on the queue (`QUEUE_URL`). Its Web API budgets are raised tenfold: Slack's
 * `chat.update` budget (~50 a minute per workspace) would otherwise pace the answers of 200 runs in
 * one workspace to eight minutes and hide what the bench measures, the queue and the workers (the
 * fake enforces no limits). Ready when `/healthz` answers on `PORT`.
 */
import { createSlackAdapter, slackAdapterModule } from '../../adapters/slack/adapter.js';
import { SLACK_RATE_LIMITS } from '../../adapters/slack/gateway.js';
import { startAdapters } from '../../adapters/start.js';
import { guardProcess } from '../../adapters/process-guard.js';
import { silentLogger } from '../../src/logger.js';

const faster = Object.fromEntries(Object.entries(SLACK_RATE_LIMITS).map(([lane, l]) => [lane, { ...l, cap: l.cap * 10 }])) as typeof SLACK_RATE_LIMITS;
const module = { ...slackAdapterModule, create: (config: never, core: never) => createSlackAdapter(config, core, { limits: faster }) };
const { stop } = await startAdapters(process.env, [module as never], { core: { leaseMs: Number(process.env.FRONT_LEASE_MS ?? 3000), queuePollMs: 250 } });
guardProcess(silentLogger);
process.once('SIGTERM', () => void stop({ handBack: true }).then(() => process.exit(0)));
