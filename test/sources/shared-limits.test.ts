/**
 * Rate and concurrency limits shared over Redis (`src/limits/`), on real Redis and real processes:
 * several OS processes hammer one loopback server through the same limit, and the server's own log
 * of request starts and requests in flight shows the limit held across all of them.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import PQueue from 'p-queue';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkSpacing, maxInFlight } from '../../src/limits/check.js';
import { createRedisLimiter, limitKeys } from '../../src/limits/redis-limiter.js';
import { closeSharedLimits, configureSharedLimits, sharedConcurrencyLimiter, sharedLimiter, sharedLimitsConfigured } from '../../src/limits/shared.js';
import { sharedRateLimiter } from '../../src/sources/rate-limit.js';
import type { ChildSpec } from '../helpers/limits-child.js';
import { startFakeLlm } from '../llm/fake-llm-server.js';
import { fakeModel } from '../llm/fake-model.js';
import { llmEnv, llmMethodology, runSynthesis } from '../llm/helpers.js';
import { ROOT } from '../helpers/paths.js';
import { freshRedis, REDIS_DATABASES } from '../helpers/redis.js';

/**
 * The spacing is checked on the starts the limiter granted, on Redis's clock (one for every process),
 * exactly; each request the server saw names its grant, so none bypassed the limiter. The arrival
 * times at the server are not held to the spacing pair by pair: the time from a grant to its request
 * reaching the server (event loops, scheduling, loopback) varies, by 5 to 150 ms on a loaded
 * two-core machine running the whole suite, so one late request can arrive close to the next. The
 * typical (median) gap between arrivals must still be the spacing, less a couple of ms of timer
 * granularity: processes ignoring each other's limit would send requests together.
 */
const TIMER_GRANULARITY_MS = 2;

/** The median gap between consecutive arrivals. */
function medianGap(arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

let redisUrl: string;
let redis: Redis;

beforeAll(async () => {
  redisUrl = await freshRedis(REDIS_DATABASES.limits);
  redis = new Redis(redisUrl);
});

afterAll(async () => {
  await redis.quit();
});

afterEach(async () => {
  await closeSharedLimits();
});

interface Logged {
  process: string;
  /** The start the limiter granted, on Redis's clock. */
  grant: number;
  start: number;
  end: number;
  inFlight: number;
}

/** A loopback server that holds each request `holdMs` and logs when it started and what else was in flight. */
async function startServer(holdMs: number): Promise<{ url: string; log: Logged[]; server: Server }> {
  const log: Logged[] = [];
  let inFlight = 0;
  const server = createServer((req, res) => {
    if (req.url?.includes('warmup')) {
      res.end('ok');
      return;
    }
    const start = performance.now();
    inFlight++;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const entry: Logged = { process: query.get('process') ?? '?', grant: Number(query.get('grant')), start, end: start, inFlight };
    log.push(entry);
    setTimeout(() => {
      inFlight--;
      entry.end = performance.now();
      res.end('ok');
    }, holdMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, log, server };
}

const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

interface Child {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<number | null>;
  /** What it printed so far. */
  stdout: () => string;
}

/** Starts one child process (see `test/helpers/limits-child.ts`); resolves once it printed `line`. */
function startChild(spec: ChildSpec, line: 'ready' | 'holding'): Promise<Child> {
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'test', 'helpers', 'limits-child.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, LIMITS_CHILD: JSON.stringify(spec) },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split('\n').includes(line)) resolve({ child, exited, stdout: () => stdout });
    });
    void exited.then((code) => reject(new Error(`child ${spec.id} exited (${code}) before "${line}": ${stderr}`)));
  });
}

/**
 * Runs `count` processes of `spec` together, waits until all have exited cleanly and returns when
 * their calls started, on Redis's clock.
 */
async function runProcesses(count: number, spec: Omit<ChildSpec, 'id'>): Promise<number[]> {
  const children = await Promise.all(Array.from({ length: count }, (_, i) => startChild({ ...spec, id: `p${i}` }, 'ready')));
  for (const { child } of children) child.stdin.write('go\n');
  const codes = await Promise.all(children.map((c) => c.exited));
  expect(codes).toEqual(children.map(() => 0));
  return children.flatMap((c) => JSON.parse(/^starts (.*)$/m.exec(c.stdout())?.[1] ?? '[]') as number[]);
}

describe('shared limits across processes', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.server.close(resolve));
    server = undefined;
  });

  it('keeps an arXiv-like spacing (200 ms, 1 in flight) across three processes', async () => {
    server = await startServer(20);
    const starts = await runProcesses(3, { redisUrl, kind: 'rate', mode: 'requests', name: 'arxiv-like', target: server.url, minIntervalMs: 200, concurrency: 1, requests: 4 });
    const { log } = server;
    expect(log).toHaveLength(12);
    expect(new Set(log.map((l) => l.process)).size).toBe(3);
    expect(starts).toHaveLength(12);
    expect(checkSpacing(starts, 200).violations).toEqual([]);
    expect(log.map((l) => l.grant).sort((a, b) => a - b)).toEqual([...starts].sort((a, b) => a - b));
    expect(medianGap(log.map((l) => l.start))).toBeGreaterThanOrEqual(200 - TIMER_GRANULARITY_MS);
    expect(maxInFlight(log)).toBe(1);
  }, 60_000);

  it('keeps 100 ms spacing and 2 in flight across three processes, reaching the cap', async () => {
    server = await startServer(250);
    const starts = await runProcesses(3, { redisUrl, kind: 'rate', mode: 'requests', name: 'openalex-like', target: server.url, minIntervalMs: 100, concurrency: 2, requests: 5 });
    const { log } = server;
    expect(log).toHaveLength(15);
    expect(new Set(log.map((l) => l.process)).size).toBe(3);
    expect(starts).toHaveLength(15);
    expect(checkSpacing(starts, 100).violations).toEqual([]);
    expect(log.map((l) => l.grant).sort((a, b) => a - b)).toEqual([...starts].sort((a, b) => a - b));
    expect(medianGap(log.map((l) => l.start))).toBeGreaterThanOrEqual(100 - TIMER_GRANULARITY_MS);
    expect(Math.max(...log.map((l) => l.inFlight))).toBe(2);
    expect(maxInFlight(log)).toBe(2);
  }, 60_000);

  it('holds an LLM concurrency limit (2) across two processes, reaching it', async () => {
    server = await startServer(150);
    await runProcesses(2, { redisUrl, kind: 'concurrency', mode: 'requests', name: 'llm:test', target: server.url, minIntervalMs: 0, concurrency: 2, requests: 6 });
    expect(server.log).toHaveLength(12);
    expect(Math.max(...server.log.map((l) => l.inFlight))).toBe(2);
  }, 60_000);

  it('frees the slot of a holder killed with SIGKILL once its lease runs out', async () => {
    server = await startServer(10);
    const leaseMs = 1000;
    const { child, exited } = await startChild(
      { redisUrl, kind: 'concurrency', mode: 'hold', name: 'killed', target: server.url, minIntervalMs: 0, concurrency: 1, requests: 0, id: 'holder', leaseMs },
      'holding',
    );
    await configureSharedLimits({ redisUrl });
    const keys = limitKeys('killed:0/1');
    expect(await redis.zcard(keys.holders)).toBe(1);
    // Renewed while the holder lives: still held after more than a lease.
    await new Promise((resolve) => setTimeout(resolve, leaseMs * 1.5));
    expect(await redis.zcard(keys.holders)).toBe(1);
    child.kill('SIGKILL');
    await exited;
    const t0 = performance.now();
    const waited = await sharedConcurrencyLimiter('killed', 1).add(async () => performance.now() - t0);
    expect(waited).toBeGreaterThan(leaseMs / 2);
    expect(waited).toBeLessThan(leaseMs + 1000);
  }, 60_000);
});

describe('the Redis limiter', () => {
  let clients: Redis[] = [];
  /** A limiter on a connection of its own, as another process would have. */
  const limiter = (name: string, minIntervalMs: number, concurrency: number, leaseMs?: number) => {
    const client = new Redis(redisUrl);
    clients.push(client);
    return createRedisLimiter(client, { name, minIntervalMs, concurrency, ...(leaseMs ? { leaseMs } : {}) });
  };

  beforeEach(() => {
    clients = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('keeps the slot of a live holder that runs longer than its lease', async () => {
    const a = limiter('long', 0, 1, 300);
    const b = limiter('long', 0, 1, 300);
    let aEnded = 0;
    const first = a.add(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      aEnded = performance.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const bStarted = await b.add(async () => performance.now());
    await first;
    expect(bStarted).toBeGreaterThanOrEqual(aEnded);
  });

  it('rejects a wait for a full cap with the abort reason and takes no slot', async () => {
    const a = limiter('full', 0, 1);
    const b = limiter('full', 0, 1);
    let let_go!: () => void;
    const holding = a.add(() => new Promise<void>((resolve) => (let_go = resolve)));
    await expect.poll(() => redis.zcard(limitKeys('full').holders)).toBe(1);
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const waiting = b.add(async () => 'ran', { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 100);
    await expect(waiting).rejects.toBe(reason);
    expect(await redis.zcard(limitKeys('full').holders)).toBe(1);
    let_go();
    await holding;
    expect(await redis.zcard(limitKeys('full').holders)).toBe(0);
  });

  it('holds no slot while waiting for the spacing, and rejects an aborted wait with its reason', async () => {
    const a = limiter('spaced', 2000, 2);
    const b = limiter('spaced', 2000, 2);
    await a.add(async () => undefined);
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    let ran = false;
    const waiting = b.add(
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await redis.zcard(limitKeys('spaced').holders)).toBe(0);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(ran).toBe(false);
    expect(await redis.zcard(limitKeys('spaced').holders)).toBe(0);
  });

  it('rejects an already aborted call at once', async () => {
    const a = limiter('aborted', 0, 1);
    const reason = new Error('already cancelled');
    await expect(a.add(async () => 'ran', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(await redis.exists(limitKeys('aborted').holders)).toBe(0);
  });
});

describe('configuring shared limits', () => {
  it('leaves the in-process queues in place when not configured', async () => {
    expect(sharedLimitsConfigured()).toBe(false);
    const policy = { minIntervalMs: 100, concurrency: 1 };
    const local = sharedRateLimiter('arxiv', 'http://127.0.0.1:1', policy);
    expect(local).toBeInstanceOf(PQueue);
    expect(sharedLimiter('anything', policy)).toBeUndefined();
    expect(sharedConcurrencyLimiter('llm:x', 2)).toBeInstanceOf(PQueue);

    await configureSharedLimits({ redisUrl });
    const shared = sharedRateLimiter('arxiv', 'http://127.0.0.1:1', policy);
    expect(shared).not.toBeInstanceOf(PQueue);
    expect(sharedRateLimiter('arxiv', 'http://127.0.0.1:1', policy)).toBe(shared);
    expect(sharedConcurrencyLimiter('llm:x', 2)).not.toBeInstanceOf(PQueue);
    expect(await shared.add(async () => 42)).toBe(42);

    await closeSharedLimits();
    expect(sharedRateLimiter('arxiv', 'http://127.0.0.1:1', policy)).toBe(local);
  });

  it('fails in one line naming QUEUE_URL, with the password masked, when Redis is unreachable', async () => {
    const failure = await configureSharedLimits({ redisUrl: 'redis://user:hunter2secret@127.0.0.1:1/0', openTimeoutMs: 2000 }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/^QUEUE_URL: cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/0 /);
    expect(message).not.toContain('hunter2secret');
    expect(message).not.toContain('\n');
    expect(sharedLimitsConfigured()).toBe(false);
  });
});

describe('the LLM engine with shared limits', () => {
  it('runs its calls through the shared LLM_CONCURRENCY limit, and still reaches it', async () => {
    const fake = await startFakeLlm({ protocol: 'openai', script: fakeModel(), apiKey: 'test-key', latencyMs: 40 });
    try {
      const started: string[] = [];
      await configureSharedLimits({ redisUrl, onStart: ({ name }) => void started.push(name) });
      const report = await runSynthesis(llmEnv(fake, 'openai', { LLM_CONCURRENCY: '2' }));
      expect(fake.maxInFlight).toBe(2);
      expect(started.length).toBe(llmMethodology(report).calls);
      expect(new Set(started)).toEqual(new Set([`llm:${fake.url} fake-model-1:0/2`]));
    } finally {
      await fake.close();
    }
  });
});

describe('a Redis that stops answering', () => {
  it('fails the call with an error naming the limit, without running it', async () => {
    const client = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      let ran = false;
      const limiter = createRedisLimiter(client, { name: 'gone', minIntervalMs: 0, concurrency: 1 });
      await expect(
        limiter.add(async () => {
          ran = true;
        }),
      ).rejects.toThrow(/^shared limit gone: Redis failed \(/);
      expect(ran).toBe(false);
    } finally {
      client.disconnect();
    }
  });
});
