/**
 * A separate process for the shared-limit tests (`node --import tsx`): configures shared limits on the
 * Redis it is given, warms up, prints `ready`, waits for `go` on stdin (so every process starts together), then
 * sends its requests to the loopback server through the limiter (each naming the start it was
 * granted, on Redis's clock), prints `starts [...]` (all those starts) and exits. In `hold` mode it takes
 * one slot, prints `holding` and never lets go (the test kills it).
 */
import { Agent, get } from 'node:http';
import { createInterface } from 'node:readline';
import { closeSharedLimits, configureSharedLimits, sharedConcurrencyLimiter } from '../../src/limits/shared.js';
import { sharedRateLimiter } from '../../src/sources/rate-limit.js';

/** What the test asks of this process (JSON in `LIMITS_CHILD`). */
export interface ChildSpec {
  redisUrl: string;
  /** `rate`: `sharedRateLimiter(name, origin of target, …)`; `concurrency`: `sharedConcurrencyLimiter(name, …)`. */
  kind: 'rate' | 'concurrency';
  mode: 'requests' | 'hold';
  name: string;
  target: string;
  minIntervalMs: number;
  concurrency: number;
  requests: number;
  /** Tags this process's requests. */
  id: string;
  leaseMs?: number;
}

const spec = JSON.parse(process.env.LIMITS_CHILD ?? '{}') as ChildSpec;
const starts: number[] = [];
// Grants not yet taken by their call: the limiter reports a grant just before it calls that call's
// function, in the same order, so each request can carry the grant it started under.
const granted: number[] = [];
await configureSharedLimits({
  redisUrl: spec.redisUrl,
  ...(spec.leaseMs !== undefined ? { leaseMs: spec.leaseMs } : {}),
  onStart: ({ redisTimeMs }) => {
    starts.push(redisTimeMs);
    granted.push(redisTimeMs);
  },
});
const limiter =
  spec.kind === 'rate'
    ? sharedRateLimiter(spec.name, new URL(spec.target).origin, { minIntervalMs: spec.minIntervalMs, concurrency: spec.concurrency })
    : sharedConcurrencyLimiter(spec.name, spec.concurrency);

if (spec.mode === 'hold') {
  setInterval(() => undefined, 60_000);
  await limiter.add(async () => {
    process.stdout.write('holding\n');
    await new Promise(() => undefined);
  });
}

// node:http on kept-alive sockets, warmed up (connected) first: the lightest client, so a request
// reaches the server as soon as its slot starts.
const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
const send = (query: string) =>
  new Promise<void>((resolve, reject) => {
    get(`${spec.target}?${query}`, { agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
await Promise.all(Array.from({ length: spec.concurrency }, () => send('warmup=1')));
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();
await Promise.all(
  Array.from({ length: spec.requests }, (_, i) =>
    limiter.add(() => send(`process=${spec.id}&i=${i}&grant=${granted.shift()}`)),
  ),
);
agent.destroy();
await closeSharedLimits();
process.stdout.write(`starts ${JSON.stringify(starts)}\n`);
