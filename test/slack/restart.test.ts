import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackAdapter } from '../../adapters/slack/adapter.js';
import { startAdapters } from '../../adapters/start.js';
import type { JobRecord } from '../../src/jobs/job.js';
import { createStores } from '../../src/store/store.js';
import { isAnswerMessage } from './assertions.js';
import { createFakeSlack, type FakeSlack } from './fake-slack.js';
import { HOSTILE_CORPUS, SECRETS } from './harness.js';

describe('after a restart', () => {
  let dir: string;
  let fake: FakeSlack;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slack-restart-'));
    fake = await createFakeSlack({ token: SECRETS.botToken });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('npm start resumes a run an earlier version left going, and answers it in its thread once', async () => {
    const env = {
      STORE_URL: `sqlite://${join(dir, 'store.sqlite')}`,
      SYNTH_SOURCES: 'none',
      SYNTH_CORPUS: HOSTILE_CORPUS,
      LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: fake.apiUrl,
      PORT: '0',
    };
    // The state a crash leaves: a job still "running" in the store and in the index of active jobs,
    // written by an earlier version (its origin an untyped bag), which the restart still reads.
    const THREAD = '1700000000.000001';
    const stores = await createStores(env.STORE_URL);
    const job: JobRecord = {
      id: '6f1c2a9e-0000-4000-8000-000000000001',
      status: 'running',
      request: { question: 'Does vitamin D reduce fracture risk?' },
      origin: { platform: 'slack', userId: 'U0ASKER', channel: 'C0RESEARCH', threadTs: THREAD, parentTs: THREAD } as unknown as JobRecord['origin'],
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    await stores.jobs.set(job.id, job);
    await stores.jobs.set('__active__', { ids: [job.id] } as unknown as JobRecord);
    await stores.close();

    const { adapters, stop } = await startAdapters(env);
    try {
      const slack = adapters[0] as SlackAdapter;
      await fake.waitFor(() => fake.callsOf('chat.postMessage').some((c) => isAnswerMessage(c.args)), 10_000, 'the answer');
      await slack.settled();
      const posts = fake.callsOf('chat.postMessage');
      expect(posts.filter((c) => isAnswerMessage(c.args))).toHaveLength(1);
      expect(posts.every((c) => c.args.channel === 'C0RESEARCH' && c.args.thread_ts === THREAD)).toBe(true);
      expect(posts.some((c) => String(c.args.text).includes('The run failed'))).toBe(false);
      await slack.settled();
    } finally {
      await stop();
    }
  });
});
