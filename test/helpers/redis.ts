/**
 * Real Redis for the tests that need it (127.0.0.1:6379, started by `.ci/run` when it is not
 * running). Each test file takes a database of its own (Redis has 16) and empties it first, so files
 * running in parallel never see each other's keys, queues or jobs.
 */
import { Redis } from 'ioredis';

/** The databases handed out so far (by file). */
export const REDIS_DATABASES = {
  store: 1,
  queue: 2,
  limits: 3,
  resume: 4,
  frontEnds: 5,
  health: 6,
} as const;

/** The URL of an emptied database `db` on the local Redis. */
export async function freshRedis(db: number): Promise<string> {
  const url = `redis://127.0.0.1:6379/${db}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushdb();
  } catch (error) {
    throw new Error(`These tests need Redis on 127.0.0.1:6379 (start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no): ${(error as Error).message}`);
  } finally {
    client.disconnect();
  }
  return url;
}
