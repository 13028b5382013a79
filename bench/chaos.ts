/**
 * Chaos bench (`npm run bench -- chaos`; `CHAOS_TRIALS=n`, default 10): the Slack bot as `npm start`
 * runs it (bench/processes/chaos-bot.ts: HTTP mode, SQLite store, a 2 s lease), killed with SIGKILL at
 * chosen moments of a run and started again on the same store; the loopback Slack fake (in this
 * process) holds the chosen call unanswered so the kill lands exactly there.
 *
 * Moments: the parent post in flight (not yet made / made but unanswered), mid-run, the report saved
 * but its answer not posted, the answer post in flight (made but unanswered), the file upload in
 * flight. Then two processes on one store under 20 runs, one of them killed every 10 s.
 *
 * For each, every thread must reach a final state (the answer, or the failure with Retry; progress and
 * parent final) within 30 s of the restart; prints the runs stuck, answered twice and reports lost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFakeSlack, type FakeMessage, type FakeSlack, type HoldRule } from '../test/slack/fake-slack.js';
import { SECRETS } from '../test/slack/harness.js';
import { postSigned, slashCommandBody } from '../test/slack/slack-requests.js';
import { createStores } from '../src/store/store.js';

const TRIALS = Number(process.env.CHAOS_TRIALS ?? 10);
const FINAL_WITHIN_MS = 30_000;
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Bot {
  proc: ChildProcess;
  port: number;
}

function startBot(fake: FakeSlack, store: string): Promise<Bot> {
  const proc = fork(fileURLToPath(new URL('./processes/chaos-bot.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: fake.apiUrl,
      PORT: '0',
      STORE_URL: `sqlite://${store}`,
      SYNTH_SOURCES: 'none',
      LOG_LEVEL: 'silent',
      SYNTH_MAX_RUNS_PER_USER: '20',
      SYNTH_MAX_CONCURRENT_RUNS: '20',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (m: { type: string; port: number }) => resolve({ proc, port: m.port }));
    proc.once('exit', (code) => reject(new Error(`the bot exited (${code}) before it was ready`)));
  });
}

function kill(bot: Bot): Promise<void> {
  return new Promise((resolve) => {
    if (bot.proc.exitCode !== null || bot.proc.signalCode !== null) return resolve();
    bot.proc.once('exit', () => resolve());
    bot.proc.kill('SIGKILL');
  });
}

let counter = 0;
const command = (bot: Bot, fake: FakeSlack, channel: string, user = 'U0CHAOS') =>
  postSigned(
    `http://127.0.0.1:${bot.port}/slack/events`,
    slashCommandBody({ text: 'Does vitamin D reduce fracture risk?', channel, user, responseUrl: `${fake.baseUrl}/response/${channel}/${++counter}` }),
    { secret: SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
  );

const isAnswer = (m: FakeMessage) => Boolean(m.blocks?.[0] && (m.blocks[0] as { type?: string }).type === 'header');
const isFailure = (m: FakeMessage) => m.text.startsWith('The run failed') && JSON.stringify(m.blocks ?? []).includes('run_retry');

/** The state of a channel's run: final when answered or failed with Retry, and no progress or parent left "working". */
function channelState(fake: FakeSlack, channel: string) {
  const inChannel = [...fake.messages.values()].filter((m) => m.channel === channel);
  const answers = inChannel.filter(isAnswer).length;
  const failures = inChannel.filter(isFailure).length;
  const working = inChannel.filter((m) => /Working|Queued/.test(m.text)).length;
  const parents = inChannel.filter((m) => m.text.startsWith('Researching:'));
  const parentOpen = parents.some((p) => !p.text.includes('\n'));
  return { answers, failures, final: (answers > 0 || failures > 0) && working === 0 && !parentOpen };
}

async function waitFinal(fake: FakeSlack, channels: string[], from: number): Promise<number[]> {
  const times = new Map<string, number>();
  while (Date.now() - from < FINAL_WITHIN_MS && times.size < channels.length) {
    for (const c of channels) if (!times.has(c) && channelState(fake, c).final) times.set(c, Date.now() - from);
    await sleep(50);
  }
  return channels.map((c) => times.get(c) ?? Number.NaN);
}

interface Moment {
  name: string;
  hold?: HoldRule;
  /** For a mid-run kill: ms after the command. */
  killAfterMs?: () => number;
}

const MOMENTS: Moment[] = [
  { name: 'parent post not yet made', hold: { method: 'chat.postMessage', keySuffix: ':parent', when: 'before' } },
  { name: 'parent post made, unanswered', hold: { method: 'chat.postMessage', keySuffix: ':parent', when: 'after' } },
  { name: 'mid-run', killAfterMs: () => 300 + Math.random() * 900 },
  { name: 'report saved, answer not posted', hold: { method: 'chat.postMessage', keySuffix: ':answer', when: 'before' } },
  { name: 'answer post made, unanswered', hold: { method: 'chat.postMessage', keySuffix: ':answer', when: 'after' } },
  { name: 'file upload in flight', hold: { method: 'files.completeUploadExternal', when: 'before' } },
];

const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
const fake = await createFakeSlack({ token: SECRETS.botToken, validate: false });
const rows: string[] = [];
let totalStuck = 0;
let totalTwice = 0;
let totalLost = 0;
try {
  out(`## Kill -9 at chosen moments, ${TRIALS} trials each (SQLite store, 2 s lease)`);
  out('| moment | threads final | stuck | answered twice | reports lost | kill → final p50 | max |');
  out('|---|---|---|---|---|---|---|');
  for (const [m, moment] of MOMENTS.entries()) {
    const store = join(dir, `moment-${m}.sqlite`);
    const channels: string[] = [];
    let bot = await startBot(fake, store);
    const restarts: number[] = [];
    const times: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const channel = `C${m}T${t}`;
      channels.push(channel);
      const callsBefore = fake.calls.length;
      if (moment.hold) fake.holdNext(moment.hold);
      await command(bot, fake, channel);
      if (moment.hold) {
        const rule = moment.hold;
        const deadline = Date.now() + 15_000;
        while (!fake.calls.slice(callsBefore).some((c) => c.method === rule.method && c.status === 0) && Date.now() < deadline) await sleep(5);
        // A random moment while the call is held.
        await sleep(Math.random() * 100);
      } else await sleep(moment.killAfterMs!());
      await kill(bot);
      // Measured from the kill, which is when the new process is started.
      restarts.push(Date.now());
      bot = await startBot(fake, store);
      // Each crash is measured on its own: the next kill comes once this thread is final (or 30 s passed).
      times.push(...(await waitFinal(fake, [channel], restarts.at(-1)!)));
    }
    await kill(bot);
    const states = channels.map((c) => channelState(fake, c));
    const stuck = states.filter((s) => !s.final).length;
    const twice = states.filter((s) => s.answers > 1).length;
    for (const c of channels.filter((_, i) => !states[i]!.final)) {
      out(`  stuck: ${c}: ${[...fake.messages.values()].filter((m) => m.channel === c).map((m) => JSON.stringify(m.text.slice(0, 60))).join(' | ')}`);
    }
    // A report saved before the kill must be posted: the moments after the run finished.
    const stores = await createStores(`sqlite://${store}`);
    let lost = 0;
    for await (const [, record] of stores.jobs.iterator!(undefined)) {
      const job = record as { status?: string; origin?: { channel?: string } };
      if (job.status === 'succeeded' && job.origin?.channel && channelState(fake, job.origin.channel).answers === 0) lost++;
    }
    await stores.close();
    const finite = times.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    totalStuck += stuck;
    totalTwice += twice;
    totalLost += lost;
    rows.push(moment.name);
    out(`| ${moment.name} | ${states.length - stuck}/${states.length} | ${stuck} | ${twice} | ${lost} | ${finite.length ? `${(finite[Math.floor(finite.length / 2)]! / 1000).toFixed(1)} s` : '–'} | ${finite.length ? `${(finite.at(-1)! / 1000).toFixed(1)} s` : '–'} |`);
  }

  out('');
  out('## Two processes on one store, 20 runs, one process killed every 10 s');
  const store = join(dir, 'two.sqlite');
  const bots = [await startBot(fake, store), await startBot(fake, store)];
  const channels = Array.from({ length: 20 }, (_, i) => `CTWO${i}`);
  await Promise.all(channels.map((c, i) => command(bots[i % 2]!, fake, c, `U0TWO${i}`)));
  const started = Date.now();
  // When each thread first reached its final state, watched throughout.
  const finalAt = new Map<string, number>();
  const watch = setInterval(() => {
    for (const c of channels) if (!finalAt.has(c) && channelState(fake, c).final) finalAt.set(c, Date.now() - started);
  }, 50);
  let victim = 0;
  let kills = 0;
  let lastKill = started;
  while (Date.now() - started < 90_000 && finalAt.size < channels.length) {
    await sleep(100);
    if (Date.now() - lastKill < 10_000) continue;
    await kill(bots[victim]!);
    kills++;
    lastKill = Date.now();
    bots[victim] = await startBot(fake, store);
    victim = 1 - victim;
  }
  clearInterval(watch);
  const times = channels.map((c) => finalAt.get(c) ?? Number.NaN);
  for (const bot of bots) await kill(bot);
  const states = channels.map((c) => channelState(fake, c));
  const stuck = states.filter((s) => !s.final).length;
  const twice = states.filter((s) => s.answers > 1).length;
  totalStuck += stuck;
  totalTwice += twice;
  out(`20 runs, ${kills} kills: ${20 - stuck}/20 threads final (answered ${states.filter((s) => s.answers > 0).length}, failed with Retry ${states.filter((s) => s.answers === 0 && s.failures > 0).length}); stuck ${stuck}; answered twice ${twice}; last thread final ${(Math.max(...times.filter(Number.isFinite)) / 1000).toFixed(1)} s after the commands`);
  out('');
  out(`total: stuck ${totalStuck}, answered twice ${totalTwice}, reports lost ${totalLost}`);
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(totalStuck + totalTwice + totalLost > 0 ? 1 : 0);
