/**
 * Discord adapter benchmark (`npx tsx bench/discord.ts`): 50 concurrent INTERACTION_CREATE dispatches
 * of `/synthesize` from 50 users, the real discord.js client against the loopback Discord fake (run in
 * its own process, as Discord is not on the bot's event loop). Prints the time from dispatch to the
 * defer callback (p50/p99; target p99 < 250 ms), whether every run ended with its final answer, and
 * how the bot dealt with the fake's per-route rate limits (429s served; requests sent after a 429
 * before its reset: must be 0). Runs are scripted (8 stages of 100 ms) so the figures measure the
 * adapter, not the synthesis.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDiscordAdapter } from '../adapters/discord/index.js';
import { createWebAdapter, loadWebConfig } from '../adapters/web/index.js';
import { loadDiscordConfig } from '../adapters/discord/config.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { createExtractiveEngine } from '../src/engines/extractive/index.js';
import { createLogger } from '../src/logger.js';
import { createStores } from '../src/store/store.js';
import { scriptedSynthesize } from '../test/discord/scripted.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);

// Per route and major parameter (channel, thread or webhook token). `enforced` below `limit` is a
// sub-limit the headers do not disclose, so real 429s happen and must be waited out.
const rateLimits = {
  'POST /channels/:id/messages/:id/threads': { limit: 10, enforced: 8, windowMs: 1000 },
  'POST /channels/:id/messages': { limit: 5, windowMs: 5000 },
  'PATCH /channels/:id/messages/:id': { limit: 5, enforced: 3, windowMs: 5000 },
  'PATCH /webhooks/:id/:token/messages/@original': { limit: 5, windowMs: 5000 },
};

interface Result {
  type: 'result';
  deferMs: number[];
  answerMs: number[];
  allDoneMs: number;
  answered: number;
  everyRunAnswered: boolean;
  stats: { requests: number; limited: number; violations: number };
  problems: string[];
  problemCount: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const worker = fork(fileURLToPath(new URL('./processes/discord-fake.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  env: { ...process.env, FAKE_RATE_LIMITS: JSON.stringify({ rateLimits }) },
  serialization: 'advanced',
});
const messages: { type: string }[] = [];
const waiting: ((m: { type: string }) => void)[] = [];
worker.on('message', (m: { type: string }) => (waiting.shift() ?? ((x: { type: string }) => messages.push(x)))(m));
worker.on('error', (error) => {
  process.stderr.write(`fake process failed: ${error.stack}\n`);
  process.exit(1);
});
const next = () => new Promise<{ type: string } & Record<string, unknown>>((resolve) => (messages.length ? resolve(messages.shift() as never) : waiting.push(resolve as never)));

const ready = (await next()) as unknown as { apiUrl: string; token: string; applicationId: string };
const config = loadConfig({ STORE_URL: 'memory://', SYNTH_SOURCES: 'none', SYNTH_MAX_CONCURRENT_RUNS: '16' });
const log = createLogger({ level: 'warn' });
const stores = await createStores('memory://');
const core = await createCore(config, log, { stores, runtime: { synthesize: scriptedSynthesize({ stepMs: 100 }), engine: createExtractiveEngine(), sources: [], skipped: [] } });
const adapter = createDiscordAdapter(loadDiscordConfig({ DISCORD_TOKEN: ready.token, DISCORD_APPLICATION_ID: ready.applicationId, DISCORD_API_URL: ready.apiUrl })!, core);
await adapter.start();
// BENCH_WITH_WEB=1: the web page runs beside the Discord adapter (same process and core).
const web = process.env.BENCH_WITH_WEB === '1' ? createWebAdapter(loadWebConfig({ WEB_ENABLED: 'true', WEB_PORT: '0' }, { configured: ['discord'] })!, core) : undefined;
await web?.start();

try {
  worker.send({ type: 'run', runs: RUNS });
  const reply = await next();
  if (reply.type !== 'result') throw new Error(String(reply.message));
  const r = reply as unknown as Result;
  const figures = {
    runs: RUNS,
    defer_p50_ms: percentile(r.deferMs, 50),
    defer_p99_ms: percentile(r.deferMs, 99),
    defer_max_ms: Math.max(...r.deferMs),
    answered: r.answered,
    every_run_answered: r.everyRunAnswered,
    answer_p50_ms: percentile(r.answerMs, 50),
    answer_p99_ms: percentile(r.answerMs, 99),
    all_done_ms: r.allDoneMs,
    requests: r.stats.requests,
    rate_limited_429: r.stats.limited,
    sent_before_reset_after_429: r.stats.violations,
    protocol_problems: r.problemCount,
  };
  process.stdout.write(
    [
      `Discord adapter: ${RUNS} concurrent /synthesize dispatches (real discord.js client, loopback fake in its own process)`,
      `  dispatch → defer callback: p50 ${figures.defer_p50_ms} ms, p99 ${figures.defer_p99_ms} ms (target p99 < 250 ms), max ${figures.defer_max_ms} ms`,
      `  final answers: ${r.answered}/${RUNS}${r.everyRunAnswered ? ', one in every run’s thread' : ', SOME RUNS UNANSWERED'}; dispatch → answer p50 ${figures.answer_p50_ms} ms, p99 ${figures.answer_p99_ms} ms; all done in ${r.allDoneMs} ms`,
      `  rate limits: ${r.stats.requests} requests, ${r.stats.limited} answered 429, ${r.stats.violations} sent after a 429 before its reset`,
      `  protocol problems (spec, limits, mentions, token lifetime): ${r.problemCount}`,
      JSON.stringify(figures),
      '',
    ].join('\n'),
  );
  if (r.problems.length > 0) process.stderr.write(`${r.problems.join('\n')}\n`);
} finally {
  await web?.stop();
  await adapter.stop();
  await core.close();
  await stores.close();
  worker.send({ type: 'close' });
  await new Promise((resolve) => worker.once('exit', resolve));
}
