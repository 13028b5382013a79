/**
 * The bot of `bench/chaos.ts`: `npm start`'s own start-up (`startAdapters`) with the Slack adapter in
 * HTTP mode over a SQLite store, runs scripted to take about a second and a half, and a short lease so
 * a killed process's runs are taken over within seconds. The parent kills it with SIGKILL.
 */
import { slackAdapterModule } from '../../adapters/slack/adapter.js';
import { startAdapters } from '../../adapters/start.js';
import type { Runtime } from '../../src/runtime.js';
import { makeReport, scriptedSynthesize } from '../../test/slack/scripted.js';

const runtime = { synthesize: scriptedSynthesize({ stepMs: 150, report: (id) => makeReport({ id, claims: 5 }) }), sources: [], skipped: [] } as unknown as Runtime;
const { adapters } = await startAdapters(process.env, [slackAdapterModule as never], { core: { runtime, leaseMs: Number(process.env.CHAOS_LEASE_MS ?? 2000) } });
const slack = adapters[0] as unknown as { port(): number };
process.send?.({ type: 'ready', port: slack.port() });
process.on('disconnect', () => process.exit(0));
