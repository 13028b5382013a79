/**
 * Scale-out bench (`npm run bench -- scale`; needs Redis on 127.0.0.1:6379, uses its database 9):
 * the Slack front end (`startAdapters`, as `npm start` runs it, its own Slack budgets raised: see
 * bench/processes/scale-front.ts) and 1, 2 and 4 workers
 * (`src/worker.ts`, as `npm run worker` runs it), each its own process, on one Redis (QUEUE_URL and
 * STORE_URL), with the loopback Slack fake here. `SCALE_QUESTIONS` questions (default 200) from 50
 * channels are sent as slash commands at once.
 *
 * Workloads: the extractive engine over SciFact (questions from its train claims), and the LLM engine
 * against a loopback fake model answering each call after 500 ms (it waits on I/O).
 * Printed per worker count: throughput (runs answered per second) and its ratio to one worker, command
 * → answer p50/p95, runs lost and answered twice.
 * Chaos (LLM workload, 2 workers): a random worker is killed with SIGKILL every 10 s and replaced, and
 * the front end is killed once and restarted; every run must still be answered exactly once. Prints
 * how many runs were resumed and the extra time they took.
 * Limits: 4 workers run questions against the recorded scholarly fakes (OpenAlex, Semantic Scholar,
 * PubMed); the busiest window of requests to one source, as the fake saw them arrive from all workers,
 * is printed beside the source's published limit, and the smallest gap beside the client's spacing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Report } from '../src/model.js';
import { PUBLISHED_LIMITS, RATE_LIMITS } from '../src/sources/rate-limit.js';
import { createStores } from '../src/store/store.js';
import { startFakeScholarlyServer, type FakeSource } from '../test/fakes/scholarly-server.js';
import { startFakeLlm } from '../test/llm/fake-llm-server.js';
import { fakeModel } from '../test/llm/fake-model.js';
import { createFakeSlack, type FakeMessage, type FakeSlack } from '../test/slack/fake-slack.js';
import { SECRETS } from '../test/slack/harness.js';
import { postSigned, slashCommandBody } from '../test/slack/slack-requests.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const SCIFACT = resolve(ROOT, '../shared/data/scifact');
const QUESTIONS = Number(process.env.SCALE_QUESTIONS ?? 200);
const CHANNELS = 50;
const WORKER_COUNTS = (process.env.SCALE_WORKERS ?? '1,2,4').split(',').map(Number);
const LLM_LATENCY_MS = 500;
const REDIS_URL = 'redis://127.0.0.1:6379/9';
/** Which parts to run (`SCALE_PHASES=throughput,chaos,limits`, the default being all three; `SCALE_WORKLOADS=llm|extractive` for one workload). */
const PHASES = new Set((process.env.SCALE_PHASES ?? 'throughput,chaos,limits').split(','));
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });

function spawnTs(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, file)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill(signal);
  });
}

/** The SciFact train claims, as the questions of the extractive workload. */
function scifactQuestions(count: number): string[] {
  const lines = readFileSync(join(SCIFACT, 'claims_train.jsonl'), 'utf8').trim().split('\n');
  return lines.slice(0, count).map((l) => `Is it true that ${(JSON.parse(l) as { claim: string }).claim.replace(/\.$/, '')}?`);
}

/** A synthetic on-topic corpus for the LLM workload (the fake model answers from the papers' text). */
function llmCorpus(dir: string): string {
  const path = join(dir, 'bp.jsonl');
  const lines = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({
      id: `bp${i + 1}`,
      title: `Exercise training and blood pressure in adults with hypertension: trial ${i + 1}`,
      year: 2000 + i,
      abstract: `We randomised ${40 + i * 7} adults with hypertension to exercise training or usual care. Exercise training reduced systolic blood pressure by ${(3 + i * 0.5).toFixed(1)} mmHg compared with usual care.`,
    }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

interface Workload {
  name: string;
  env: Record<string, string>;
  questions: string[];
}

interface Setup {
  fake: FakeSlack;
  frontPort: number;
  front: ChildProcess;
  workers: ChildProcess[];
  env: Record<string, string>;
}

async function startFront(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const front = spawnTs('bench/processes/scale-front.ts', { ...env, PORT: String(port), WEB_ENABLED: 'false' });
  await waitUntil('the front end', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false)));
  return front;
}

async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawnTs('src/worker.ts', { ...env, WORKER_HEALTH_PORT: String(port) });
  await waitUntil('a worker', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok).catch(() => false)));
  return child;
}

async function setUp(fake: FakeSlack, workload: Workload, workers: number): Promise<Setup> {
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const env: Record<string, string> = {
    QUEUE_URL: REDIS_URL,
    STORE_URL: REDIS_URL,
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: 'silent',
    SYNTH_MAX_RUNS_PER_USER: '20',
    SYNTH_MAX_CONCURRENT_RUNS: '8',
    WORKER_LOCK_MS: '3000',
    ...workload.env,
  };
  const frontPort = await freePort();
  const front = await startFront(env, frontPort);
  const started = await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(env)));
  return { fake, frontPort, front, workers: started, env };
}

async function tearDown(setup: Setup): Promise<void> {
  await Promise.all([setup.front, ...setup.workers].map((c) => kill(c)));
}

let counter = 0;
const isAnswer = (m: FakeMessage) => Boolean(m.blocks?.[0] && (m.blocks[0] as { type?: string }).type === 'header');

/** Sends the questions as slash commands; resolves with when each was sent, by channel:question. */
async function ask(setup: Setup, questions: string[], tag: string): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  await Promise.all(
    questions.map(async (question, i) => {
      const channel = `C${tag}${i % CHANNELS}`;
      const text = `${question} [q${i}]`;
      sent.set(`q${i}`, Date.now());
      const res = await postSigned(
        `http://127.0.0.1:${setup.frontPort}/slack/events`,
        slashCommandBody({ text, channel, user: `U${tag}${i}`, responseUrl: `${setup.fake.baseUrl}/response/${channel}/${++counter}` }),
        { secret: SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
      if (res.status !== 200) throw new Error(`the command was refused: ${res.status}`);
    }),
  );
  return sent;
}

/** Answers per question, from the fake: an answer is in the thread of the parent that quotes `[qN]`. */
function answers(fake: FakeSlack, tag: string): Map<string, { count: number; at: number[] }> {
  const parents = new Map<string, string>();
  for (const m of fake.messages.values()) {
    const q = /\[(q\d+)\]/.exec(m.text)?.[1];
    if (q && m.channel.startsWith(`C${tag}`) && m.text.startsWith('Researching')) parents.set(`${m.channel}:${m.ts}`, q);
  }
  const found = new Map<string, { count: number; at: number[] }>();
  for (const call of fake.calls) {
    if (call.method !== 'chat.postMessage' || !call.args.blocks) continue;
    const message = { blocks: call.args.blocks } as unknown as FakeMessage;
    if (!isAnswer(message)) continue;
    const q = parents.get(`${String(call.args.channel)}:${String(call.args.thread_ts)}`);
    if (!q) continue;
    const entry = found.get(q) ?? { count: 0, at: [] };
    entry.count++;
    entry.at.push(fake.startedAt + call.at);
    found.set(q, entry);
  }
  return found;
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : Number.NaN;
};

/** When each question's report was saved by a worker (the run's settled time), by question tag. */
async function settledTimes(): Promise<Map<string, number>> {
  const redis = new Redis(REDIS_URL);
  const stores = await createStores(REDIS_URL);
  const times = new Map<string, number>();
  try {
    for await (const [, value] of stores.reports.iterator!(undefined)) {
      const report = value as Report;
      const q = /\[(q\d+)\]/.exec(report.question)?.[1];
      const at = Number(await redis.hget(`synth:run:${report.id}`, 'settledAt'));
      if (q && at) times.set(q, at);
    }
  } finally {
    await stores.close();
    redis.disconnect();
  }
  return times;
}

async function runLoad(fake: FakeSlack, workload: Workload, workers: number, tag: string) {
  const setup = await setUp(fake, workload, workers);
  try {
    const t0 = Date.now();
    const sent = await ask(setup, workload.questions, tag);
    await waitUntil('every answer', () => answers(fake, tag).size >= workload.questions.length, 20 * 60_000);
    await sleep(500);
    const got = answers(fake, tag);
    const settled = await settledTimes();
    const toAnswer = [...got].map(([q, a]) => a.at[0]! - sent.get(q)!);
    const toReport = [...settled].map(([q, at]) => at - sent.get(q)!);
    return {
      // Runs finished by the workers per second, from the first command to the last report saved.
      throughput: settled.size / ((Math.max(...settled.values()) - t0) / 1000),
      reportP50: pct(toReport, 50),
      reportP95: pct(toReport, 95),
      p50: pct(toAnswer, 50),
      p95: pct(toAnswer, 95),
      lost: workload.questions.length - got.size,
      twice: [...got.values()].filter((a) => a.count > 1).length,
    };
  } finally {
    await tearDown(setup);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
const fake = await createFakeSlack({ token: SECRETS.botToken, validate: false });
const llm = await startFakeLlm({ protocol: 'openai', script: fakeModel(), latencyMs: LLM_LATENCY_MS });
let failures = 0;
try {
  const bp = llmCorpus(dir);
  const llmQuestions = Array.from({ length: QUESTIONS }, () => 'Does exercise training reduce blood pressure in adults with hypertension?');
  const workloads: Workload[] = [
    {
      name: 'LLM engine (fake model, 500 ms a call)',
      env: { SYNTH_ENGINE: 'llm', SYNTH_SOURCES: 'none', SYNTH_CORPUS: bp, LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_MODEL: 'bench-model', LLM_CONCURRENCY: '64' },
      questions: llmQuestions,
    },
    { name: 'extractive engine over SciFact', env: { SYNTH_SOURCES: 'none', SYNTH_CORPUS: join(SCIFACT, 'corpus.jsonl.gz') }, questions: scifactQuestions(QUESTIONS) },
  ];
  if (PHASES.has('throughput')) out(`## Throughput: ${QUESTIONS} questions from ${CHANNELS} channels, one front end, ${WORKER_COUNTS.join(', ')} workers (8 runs at once each)`);
  // `SCALE_WORKLOADS=llm` or `extractive` runs one of the two.
  const only = process.env.SCALE_WORKLOADS;
  for (const [w, workload] of PHASES.has('throughput') ? workloads.entries() : []) {
    if (only && !workload.name.toLowerCase().startsWith(only)) continue;
    out('');
    out(`### ${workload.name}`);
    out('| workers | runs finished/s | × one worker | command → report p50 / p95 | command → answer in Slack p50 / p95 | lost | answered twice |');
    out('|---|---|---|---|---|---|---|');
    let base = 0;
    for (const workers of WORKER_COUNTS) {
      const r = await runLoad(fake, workload, workers, `W${w}N${workers}`);
      base ||= r.throughput;
      failures += r.lost + r.twice;
      out(`| ${workers} | ${r.throughput.toFixed(2)} | ${(r.throughput / base).toFixed(2)} | ${(r.reportP50 / 1000).toFixed(1)} / ${(r.reportP95 / 1000).toFixed(1)} s | ${(r.p50 / 1000).toFixed(1)} / ${(r.p95 / 1000).toFixed(1)} s | ${r.lost} | ${r.twice} |`);
    }
  }

  if (PHASES.has('chaos')) {
  out('');
  out(`## Chaos: LLM workload, ${QUESTIONS} questions, 2 workers; a random worker killed (SIGKILL) every 10 s and replaced; the front end killed once`);
  {
    const workload = workloads[0]!;
    const setup = await setUp(fake, workload, 2);
    const tag = 'CHAOS';
    try {
      const t0 = Date.now();
      const sent = await ask(setup, workload.questions, tag);
      let kills = 0;
      let frontKilled = false;
      let lastKill = Date.now();
      while (answers(fake, tag).size < workload.questions.length && Date.now() - t0 < 20 * 60_000) {
        await sleep(200);
        if (!frontKilled && Date.now() - t0 > 5_000) {
          await kill(setup.front);
          setup.front = await startFront(setup.env, setup.frontPort);
          frontKilled = true;
        }
        if (Date.now() - lastKill < 10_000) continue;
        const victim = Math.floor(Math.random() * setup.workers.length);
        await kill(setup.workers[victim]!);
        setup.workers[victim] = await startWorkerProcess(setup.env);
        kills++;
        lastKill = Date.now();
      }
      await sleep(3_000);
      const got = answers(fake, tag);
      const redis = new Redis(REDIS_URL);
      const resumed = new Set<string>();
      for (const key of await redis.keys('synth:run:*')) {
        if (key.split(':').length !== 3) continue;
        if (Number(await redis.hget(key, 'starts')) > 1) resumed.add(key.split(':')[2]!);
      }
      redis.disconnect();
      // Which question each resumed run answered: its report's question carries the [qN] tag.
      const stores = await createStores(REDIS_URL);
      const resumedQuestions = new Set<string>();
      for await (const [, value] of stores.reports.iterator!(undefined)) {
        const report = value as Report;
        const q = /\[(q\d+)\]/.exec(report.question)?.[1];
        if (q && resumed.has(report.id)) resumedQuestions.add(q);
      }
      await stores.close();
      const times = [...got].map(([q, a]) => a.at[0]! - sent.get(q)!);
      const timesOf = (which: boolean) => [...got].filter(([q]) => resumedQuestions.has(q) === which).map(([q, a]) => a.at[0]! - sent.get(q)!);
      const lost = workload.questions.length - got.size;
      const twice = [...got.values()].filter((a) => a.count > 1).length;
      failures += lost + twice;
      out(`${kills} worker kills, 1 front-end kill: answered ${got.size}/${workload.questions.length}, lost ${lost}, answered twice ${twice}`);
      out(`command → answer over all runs: p50 ${(pct(times, 50) / 1000).toFixed(1)} s, p95 ${(pct(times, 95) / 1000).toFixed(1)} s, max ${(Math.max(...times) / 1000).toFixed(1)} s`);
      const [again, once] = [timesOf(true), timesOf(false)];
      out(`runs resumed from their checkpoints after their worker was killed: ${resumed.size}; their command → answer p50 ${(pct(again, 50) / 1000).toFixed(1)} s against ${(pct(once, 50) / 1000).toFixed(1)} s for the others (extra ${((pct(again, 50) - pct(once, 50)) / 1000).toFixed(1)} s)`);
    } finally {
      await tearDown(setup);
    }
  }
  }

  if (PHASES.has('limits')) {
  out('');
  out('## Source limits across 4 workers (recorded scholarly fakes, LLM engine; 12 questions)');
  {
    const scholarly = await startFakeScholarlyServer();
    const sources: FakeSource[] = ['openalex', 'semanticscholar', 'pubmed'];
    const workload: Workload = {
      name: 'limits',
      // The LLM engine (fake model): the workers wait on I/O, as they would each on a machine of their
      // own. With four CPU-bound extractive workers on this 2-core machine, a worker's event loop can
      // be held 100+ ms between a grant and its request leaving, and arrivals then come closer than
      // the grants (which the limiter spaces exactly on Redis's clock; test/sources/shared-limits.test.ts).
      env: {
        ...workloads[0]!.env,
        SYNTH_SOURCES: sources.join(','),
        SYNTH_CORPUS: '',
        ...scholarly.env,
        SYNTH_SOURCE_CACHE_TTL_MS: '0',
      },
      questions: Array.from({ length: 12 }, (_, i) => `Does vitamin D supplementation reduce fracture risk in older adults? (${i})`),
    };
    try {
      await runLoad(fake, workload, 4, 'LIM');
      // The APIs count requests per window of time as they arrive; the clients space their starts
      // about 10% wider (src/sources/rate-limit.ts), which absorbs delivery jitter on a busy machine.
      out('| source | requests seen | busiest window (published limit) | smallest gap between arrivals (client spacing) | limit held |');
      out('|---|---|---|---|---|');
      const published = { openalex: PUBLISHED_LIMITS.openalex, semanticscholar: PUBLISHED_LIMITS.semanticscholar, pubmed: PUBLISHED_LIMITS.pubmed };
      const spacing = { openalex: RATE_LIMITS.openalex.minIntervalMs, semanticscholar: RATE_LIMITS.semanticscholar.minIntervalMs, pubmed: RATE_LIMITS.pubmed.minIntervalMs };
      for (const source of sources as (keyof typeof published)[]) {
        const starts = scholarly.requestsFor(source).map((r) => r.at).sort((a, b) => a - b);
        const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
        const smallest = gaps.length ? Math.min(...gaps) : Number.NaN;
        const { requests, perMs } = published[source];
        const busiest = Math.max(0, ...starts.map((t) => starts.filter((u) => u >= t && u < t + perMs).length));
        const held = busiest <= requests;
        if (!held) failures++;
        out(`| ${source} | ${starts.length} | ${busiest} in ${perMs} ms (${requests}) | ${smallest.toFixed(0)} ms (${spacing[source]} ms) | ${held ? 'yes' : 'NO'} |`);
      }
    } finally {
      await scholarly.close();
    }
  }
  }
} finally {
  await llm.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failures > 0 ? 1 : 0);
