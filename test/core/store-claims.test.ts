/**
 * The stores' atomic claim (issue 13): a Slack retry reaching another front end, two front ends
 * behind one endpoint, two processes taking over the same run: of any number of claimers across
 * processes sharing a store, exactly one wins. Real SQLite files and real Redis, no mocks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { createStores, type Stores } from '../../src/store/store.js';
import { freshRedis, REDIS_DATABASES } from '../helpers/redis.js';

let dir: string;
let redisUrl: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synth-claims-'));
  redisUrl = await freshRedis(REDIS_DATABASES.store);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const backends = [
  ['sqlite', () => `sqlite://${join(dir, 'store.sqlite')}`],
  ['redis', () => redisUrl],
] as const;

describe.each(backends)('claims on %s shared by two processes', (kind, url) => {
  const opened: Stores[] = [];
  const open = async () => {
    const stores = await createStores(url());
    opened.push(stores);
    return stores;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  it('gives a key to exactly one of 40 concurrent claimers on two connections', async () => {
    const [a, b] = [await open(), await open()];
    expect(a.kind).toBe(kind);
    const key = `race:${Math.random()}`;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(key, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('lets a key be claimed again once it expires or is given back', async () => {
    const [a, b] = [await open(), await open()];
    const key = `ttl:${Math.random()}`;
    expect(await a.claim(key, 150)).toBe(true);
    expect(await b.claim(key, 150)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await b.claim(key, 60_000)).toBe(true);
    expect(await a.claim(key, 60_000)).toBe(false);
    await b.unclaim(key);
    expect(await a.claim(key, 60_000)).toBe(true);
  });

  it('answers a readiness ping', async () => {
    await expect((await open()).ping()).resolves.toBeUndefined();
  });
});

describe('a redis STORE_URL', () => {
  it('keeps reports and job records across connections, with their TTL', async () => {
    const a = await createStores(redisUrl);
    const b = await createStores(redisUrl);
    try {
      await a.jobs.set('job-1', { id: 'job-1' } as never);
      await a.state.set('short', 1, 100);
      expect(await b.jobs.get('job-1')).toEqual({ id: 'job-1' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await b.state.get('short')).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails at once with one line naming STORE_URL, its password masked, when Redis does not answer', async () => {
    const t0 = performance.now();
    const error = await createStores('redis://:hunter2@127.0.0.1:1/0', { openTimeoutMs: 1_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).code).toBe('store');
    expect((error as Error).message).toMatch(/^STORE_URL: cannot reach Redis at redis:\/\/:\*+@127\.0\.0\.1:1\/0/);
    expect((error as Error).message).not.toContain('hunter2');
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
