// The shared HTTP layer against the loopback fake: retries and backoff, Retry-After, timeouts,
// cancellation, truncated and malformed bodies, the User-Agent, the response cache, coalescing of
// identical requests, and the process-wide rate limits.
import { Keyv } from 'keyv';
import PQueue from 'p-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, parseRetryAfter, redactUrl, type HttpClientOptions } from '../../src/sources/http.js';
import { parseOpenAlexPage } from '../../src/sources/openalex.js';
import { startFakeScholarlyServer, type FakeScholarlyServer } from '../fakes/scholarly-server.js';
import { sourceFailure } from '../helpers/errors.js';

let fake: FakeScholarlyServer;
beforeAll(async () => {
  fake = await startFakeScholarlyServer();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

/** A client with fast backoff and its own unthrottled limiter (so tests do not wait on each other). */
function client(overrides: Partial<HttpClientOptions> = {}) {
  return createHttpClient({
    source: 'openalex',
    userAgent: 'research-synthesis-bot/0.1.0 (mailto:dev@example.org)',
    rateLimit: { minIntervalMs: 0, concurrency: 8 },
    limiter: new PQueue({ concurrency: 8 }),
    backoffMs: 10,
    maxBackoffMs: 20,
    ...overrides,
  });
}

function worksUrl(search = 'graphene'): string {
  return `${fake.env.OPENALEX_BASE_URL}/works?search=${encodeURIComponent(search)}&per-page=5`;
}

const signal = () => new AbortController().signal;

describe('HTTP layer', () => {
  it('sends a User-Agent naming the project and the contact address, and the Accept header', async () => {
    const page = await client().fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(page.records.length).toBe(5);
    const [req] = fake.requestsFor('openalex');
    expect(req!.headers['user-agent']).toBe('research-synthesis-bot/0.1.0 (mailto:dev@example.org)');
    expect(req!.headers['accept']).toBe('application/json');
  });

  it('retries 5xx with backoff and succeeds', async () => {
    fake.fault('openalex', { kind: 'status', status: 500 }, 2);
    const page = await client().fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(page.records.length).toBe(5);
    expect(fake.requestsFor('openalex')).toHaveLength(3);
  });

  it('gives up after the last attempt with a one-line error naming source, status and attempts', async () => {
    fake.fault('openalex', { kind: 'status', status: 500 });
    const error = await sourceFailure(
      client().fetch({ url: `${worksUrl()}&api_key=SECRET`, accept: 'application/json', signal: signal() }, parseOpenAlexPage),
    );
    expect(error.message).toBe('openalex: HTTP 500 Internal Server Error after 3 attempts');
    expect(error).toMatchObject({ code: 'source_http', source: 'openalex', status: 500 });
    expect(error.url).toContain('api_key=***');
    expect(error.url).not.toContain('SECRET');
    expect(fake.requestsFor('openalex')).toHaveLength(3);
  });

  it('never retries other 4xx', async () => {
    for (const status of [400, 401, 404]) {
      fake.reset();
      fake.fault('openalex', { kind: 'status', status });
      const error = await sourceFailure(client().fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage));
      expect(error.status).toBe(status);
      expect(error.message).not.toContain('attempts');
      expect(fake.requestsFor('openalex')).toHaveLength(1);
    }
  });

  it('honours Retry-After on 429 before trying again', async () => {
    fake.fault('openalex', { kind: 'status', status: 429, retryAfter: '1' }, 1);
    const page = await client().fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(page.records.length).toBe(5);
    const [first, second] = fake.requestsFor('openalex');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails at once when Retry-After asks for longer than a run can wait, keeping retryAfterMs', async () => {
    fake.fault('openalex', { kind: 'status', status: 503, retryAfter: '120' });
    const error = await sourceFailure(
      client({ maxRetryAfterMs: 5_000 }).fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage),
    );
    expect(error).toMatchObject({ code: 'source_http', status: 503, retryAfterMs: 120_000 });
    expect(error.message).toBe('openalex: HTTP 503 Service Unavailable; the server asks to retry after 120 s');
    expect(fake.requestsFor('openalex')).toHaveLength(1);
  });

  it('times out a slow answer per attempt and says so', async () => {
    fake.fault('openalex', { kind: 'slow', delayMs: 5_000 });
    const started = performance.now();
    const error = await sourceFailure(
      client({ attemptTimeoutMs: 200, maxAttempts: 2 }).fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage),
    );
    expect(error).toMatchObject({ code: 'source_timeout' });
    expect(error.message).toBe('openalex: no response within 200 ms (2 attempts)');
    // Far below the 5 s the slow answer would take: the attempts were cut off.
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(fake.requestsFor('openalex')).toHaveLength(2);
  });

  it('stops at once when the run is cancelled, with the signal\'s reason', async () => {
    fake.fault('openalex', { kind: 'slow', delayMs: 5_000 });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('cancelled by test')), 100);
    const error = await client()
      .fetch({ url: worksUrl(), accept: 'application/json', signal: controller.signal }, parseOpenAlexPage)
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('cancelled by test');
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(fake.requestsFor('openalex')).toHaveLength(1);
  });

  it('retries a body cut off mid-way, then reports the dropped connection', async () => {
    fake.fault('openalex', { kind: 'truncated' }, 1);
    const page = await client().fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(page.records.length).toBe(5);
    expect(fake.requestsFor('openalex')).toHaveLength(2);

    fake.reset();
    fake.fault('openalex', { kind: 'truncated' });
    const error = await sourceFailure(client().fetch({ url: worksUrl('other'), accept: 'application/json', signal: signal() }, parseOpenAlexPage));
    expect(error).toMatchObject({ code: 'source_network' });
    expect(error.message).toBe('openalex: connection closed mid-response after 3 attempts');
  });

  it('fails at once, without retries, when nothing listens (as on a machine without internet)', async () => {
    const closed = await import('node:net').then(
      ({ createServer }) =>
        new Promise<number>((resolve) => {
          const s = createServer().listen(0, '127.0.0.1', () => {
            const { port } = s.address() as { port: number };
            s.close(() => resolve(port));
          });
        }),
    );
    const started = performance.now();
    const error = await sourceFailure(client().fetch({ url: `http://127.0.0.1:${closed}/works`, accept: 'application/json', signal: signal() }, parseOpenAlexPage));
    expect(error).toMatchObject({ code: 'source_network', message: 'openalex: connection failed (ECONNREFUSED)' });
    // Retrying would have waited at least 0.5 s + 1 s of backoff.
    expect(performance.now() - started).toBeLessThan(1_400);
  });

  it('does not retry or cache a malformed body, and reports a schema change', async () => {
    const cache = new Keyv();
    const http = client({ cache });
    fake.fault('openalex', { kind: 'invalid' }, 1);
    const invalid = await sourceFailure(http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage));
    expect(invalid.code).toBe('source_malformed');
    expect(invalid.message).toMatch(/^openalex: malformed JSON \(/);
    expect(invalid.status).toBe(200);
    expect(fake.requestsFor('openalex')).toHaveLength(1);

    fake.fault('openalex', { kind: 'schema' }, 1);
    const changed = await sourceFailure(http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage));
    expect(changed.message).toMatch(/^openalex: unexpected response shape \(results: /);
    expect(fake.requestsFor('openalex')).toHaveLength(2);

    await http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(fake.requestsFor('openalex')).toHaveLength(3);
  });

  it('answers a repeated request from the cache, whatever the contact address or key', async () => {
    const cache = new Keyv();
    const http = client({ cache });
    const first = await http.fetch({ url: `${worksUrl()}&mailto=a@example.org`, accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    const second = await http.fetch({ url: `${worksUrl()}&mailto=b@example.org&api_key=k`, accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(second).toEqual(first);
    expect(fake.requestsFor('openalex')).toHaveLength(1);
    await http.fetch({ url: worksUrl('something else'), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(fake.requestsFor('openalex')).toHaveLength(2);
  });

  it('expires cached answers after the TTL, and caches nothing with a TTL of 0', async () => {
    const cache = new Keyv();
    const http = client({ cache, cacheTtlMs: 60 });
    await http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    await new Promise((r) => setTimeout(r, 120));
    await http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(fake.requestsFor('openalex')).toHaveLength(2);

    const off = client({ cache: new Keyv(), cacheTtlMs: 0 });
    await off.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    await off.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    expect(fake.requestsFor('openalex')).toHaveLength(4);
  });

  it('shares one network call between identical requests in flight', async () => {
    fake.setLatency('openalex', 150);
    const http = client({ cache: new Keyv() });
    const pages = await Promise.all(
      [1, 2, 3].map(() => http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage)),
    );
    expect(pages[1]).toEqual(pages[0]);
    expect(fake.requestsFor('openalex')).toHaveLength(1);
  });

  it('keeps a shared request going while one caller cancels', async () => {
    fake.setLatency('openalex', 200);
    const http = client();
    const controller = new AbortController();
    const leaving = http.fetch({ url: worksUrl(), accept: 'application/json', signal: controller.signal }, parseOpenAlexPage).catch((e: unknown) => e);
    const staying = http.fetch({ url: worksUrl(), accept: 'application/json', signal: signal() }, parseOpenAlexPage);
    setTimeout(() => controller.abort(new Error('gone')), 50);
    expect(((await leaving) as Error).message).toBe('gone');
    expect((await staying).records.length).toBe(5);
    expect(fake.requestsFor('openalex')).toHaveLength(1);
  });

  it('spaces requests of one source by its rate limit across clients (and runs) in the process', async () => {
    // No injected limiter: both clients get the process-wide queue of (openalex, fake host, policy).
    const limit = { minIntervalMs: 150, concurrency: 4 };
    const a = client({ rateLimit: limit, limiter: undefined });
    const b = client({ rateLimit: limit, limiter: undefined });
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        (i % 2 ? a : b).fetch({ url: worksUrl(`question ${i}`), accept: 'application/json', signal: signal() }, parseOpenAlexPage),
      ),
    );
    const times = fake.requestsFor('openalex').map((r) => r.at).sort((x, y) => x - y);
    expect(times).toHaveLength(6);
    // Arrival times carry the loopback's jitter on top of the send times the limiter spaces (a late
    // request shrinks the gap after it: 139.8 ms, and a first request 37 ms late, were seen on a loaded
    // machine). Any two arrivals are then at least their intervals apart less one jitter (60 ms allowed);
    // without the limiter all six arrive within a few ms.
    for (let i = 1; i < times.length; i++) {
      for (let j = 0; j < i; j++) expect(times[i]! - times[j]!).toBeGreaterThanOrEqual((i - j) * limit.minIntervalMs - 60);
    }
  });

  it('parses Retry-After in seconds and as an HTTP date, and masks keys in URLs', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 3000).toUTCString(), Date.now())).toBeGreaterThan(1000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(redactUrl('https://x.org/a?api_key=abc&q=1')).toBe('https://x.org/a?api_key=***&q=1');
  });
});
