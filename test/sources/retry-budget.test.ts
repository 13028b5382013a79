/**
 * Issue 12: arXiv answering 500 or 429 was reported as "timed out" because its one-request-per-3-s
 * limit makes a retry outlast the source's time budget. When the budget runs out while a source waits
 * to retry, the report says what actually happened: the last HTTP status.
 */
import { Keyv } from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SynthError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createSynthesizer } from '../../src/pipeline/synthesize.js';
import '../../src/sources/live.js';
import { createLiveSources } from '../../src/sources/registry.js';
import { fakeSource, makePaper, scriptedEngine } from '../helpers/fakes.js';
import { startFakeScholarlyServer, type Fault, type FakeScholarlyServer } from '../fakes/scholarly-server.js';

let fake: FakeScholarlyServer;
// A fresh fake (a new origin) per test, so arXiv's 3 s spacing from one test does not hold up the next.
beforeEach(async () => {
  fake = await startFakeScholarlyServer();
});
afterEach(async () => {
  await fake.close();
});

/** The reason the methodology gives for arXiv, with a 2 s budget. */
async function arxivReason(fault: Fault): Promise<string | undefined> {
  fake.fault('arxiv', fault);
  const config = loadConfig({ ...fake.env });
  const arxiv = createLiveSources(['arxiv'], { config, log: silentLogger, cache: new Keyv() }).sources;
  const corpus = fakeSource('corpus', [makePaper({ id: 'c1', title: 'Tools for language models in chemistry', abstract: 'Chemistry tools improved language model answers.' })]);
  const synthesize = createSynthesizer({ sources: [...arxiv, corpus], engine: scriptedEngine(), sourceTimeoutMs: 2000 });
  const report = await synthesize({ question: 'Do chemistry tools help language models?' });
  return report.methodology.sources.find((s) => s.name === 'arxiv')?.error;
}

describe('a source that runs out of time while waiting to retry', () => {
  it.each([
    [{ kind: 'status', status: 500 } as Fault, 'HTTP 500 Internal Server Error'],
    [{ kind: 'status', status: 429, retryAfter: '1' } as Fault, 'HTTP 429 Too Many Requests'],
    [{ kind: 'status', status: 503 } as Fault, 'HTTP 503 Service Unavailable'],
  ])('reports the last status, not a timeout: %j', async (fault, label) => {
    const reason = await arxivReason(fault);
    expect(reason).toBe(`${label} after 1 attempt; the 2 s budget ran out before it could be retried`);
    expect(fake.requestsFor('arxiv')).toHaveLength(1);
  });

  it('still says "timed out" when the source never answered', async () => {
    expect(await arxivReason({ kind: 'slow', delayMs: 5000 })).toBe('timed out after 2 s');
  });

  it('keeps a cancelled run cancelled, even while a source waits to retry', async () => {
    fake.fault('arxiv', { kind: 'status', status: 500 });
    const config = loadConfig({ ...fake.env });
    const arxiv = createLiveSources(['arxiv'], { config, log: silentLogger, cache: new Keyv() }).sources;
    const synthesize = createSynthesizer({ sources: arxiv, engine: scriptedEngine(), sourceTimeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 800);
    const error = await synthesize({ question: 'Do chemistry tools help language models?' }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).code).toBe('cancelled');
  });
});
