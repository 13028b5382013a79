/**
 * Benchmark of the live sources (run: `npx tsx bench/sources.ts`). Starts the loopback fake
 * scholarly server (no network) holding each source's answers for a set latency, and prints:
 * 1. the search stage's wall time with all five sources vs the slowest single source's chain
 *    measured alone in the same run (target ratio <= 1.2: a true parallel fan-out);
 * 2. the HTTP requests made by a repeated question (target 0: answered from the cache);
 * 3. the requests per second each fake source saw under a burst of 20 different questions, and the
 *    most it saw in any window of the API's published limit (1 s; 3 s for arXiv), which must not
 *    exceed that limit.
 */
import { Keyv } from 'keyv';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { LIVE_SOURCE_NAMES, type Report } from '../src/model.js';
import { createRuntime } from '../src/runtime.js';
import { createLiveSources } from '../src/sources/registry.js';
import { PUBLISHED_LIMITS } from '../src/sources/rate-limit.js';
import type { SearchQuery } from '../src/sources/source.js';
import { createStores } from '../src/store/store.js';
import { startFakeScholarlyServer, type FakeScholarlyServer, type FakeSource } from '../test/fakes/scholarly-server.js';

const LATENCY: Record<FakeSource, number> = { openalex: 300, arxiv: 800, crossref: 500, semanticscholar: 400, pubmed: 300 };
const ROUNDS = 3;
const BURST = 20;

const out = (line = '') => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function fakeWithLatency(): Promise<FakeScholarlyServer> {
  const fake = await startFakeScholarlyServer();
  for (const [source, ms] of Object.entries(LATENCY)) fake.setLatency(source as FakeSource, ms);
  return fake;
}

function query(text: string): SearchQuery {
  return { question: text, text, terms: text.split(' '), maxResults: 25 };
}

/** The slowest source's chain: each source alone, on its own fake host so no limiter is shared. */
async function slowestChain(round: number): Promise<{ ms: number; source: string }> {
  let slowest = { ms: 0, source: '' };
  for (const name of LIVE_SOURCE_NAMES) {
    const fake = await fakeWithLatency();
    const config = loadConfig({ ...fake.env, LOG_LEVEL: 'silent' });
    const [source] = createLiveSources([name], { config, log: silentLogger, cache: new Keyv() }).sources;
    const t0 = performance.now();
    await source!.search(query(`chemistry tools round ${round}`), { signal: AbortSignal.timeout(20_000), log: silentLogger });
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { ms, source: name };
    await fake.close();
  }
  return slowest;
}

async function fanOut(round: number): Promise<{ searchMs: number; repeatRequests: number; firstRequests: number }> {
  const fake = await fakeWithLatency();
  const config = loadConfig({ ...fake.env, LOG_LEVEL: 'silent' });
  const stores = await createStores('memory://');
  const runtime = createRuntime(config, silentLogger, {}, stores);
  const question = `Do large language models augmented with chemistry tools improve chemistry tasks (round ${round})?`;
  const report: Report = await runtime.synthesize({ question });
  const failed = report.methodology.sources.filter((s) => s.status !== 'ok');
  if (failed.length > 0) throw new Error(`sources failed: ${JSON.stringify(failed)}`);
  const firstRequests = fake.requests.length;
  await runtime.synthesize({ question });
  const repeatRequests = fake.requests.length - firstRequests;
  await stores.close();
  await fake.close();
  return { searchMs: report.timings.stages['search'] ?? Number.NaN, repeatRequests, firstRequests };
}

interface BurstFigure {
  source: FakeSource;
  requests: number;
  /** Mean rate between the first and the last request, per second. */
  perSecond: number;
  /** Most requests the fake saw in any window of the published limit's length (1 s; 3 s for arXiv). */
  busiest: number;
  limit: { requests: number; perMs: number };
  ok: number;
  failed: number;
}

async function burst(): Promise<BurstFigure[]> {
  const fake = await fakeWithLatency();
  const config = loadConfig({ ...fake.env, LOG_LEVEL: 'silent' });
  const { sources } = createLiveSources([...LIVE_SOURCE_NAMES], { config, log: silentLogger, cache: new Keyv() });
  const outcome = new Map<string, { ok: number; failed: number }>(sources.map((s) => [s.name, { ok: 0, failed: 0 }]));
  await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      Promise.all(
        sources.map((s) =>
          s
            // Each question's searches get the default source budget, as in a run.
            .search(query(`burst question ${i} about chemistry tools`), { signal: AbortSignal.timeout(config.SYNTH_SOURCE_TIMEOUT_MS), log: silentLogger })
            .then(
              () => outcome.get(s.name)!.ok++,
              () => outcome.get(s.name)!.failed++,
            ),
        ),
      ),
    ),
  );
  // No CONTACT_EMAIL and no keys in this configuration: the public-pool limits apply.
  const limits: Record<FakeSource, { requests: number; perMs: number }> = {
    openalex: PUBLISHED_LIMITS.openalex,
    arxiv: PUBLISHED_LIMITS.arxiv,
    crossref: PUBLISHED_LIMITS.crossrefPublic,
    semanticscholar: PUBLISHED_LIMITS.semanticscholar,
    pubmed: PUBLISHED_LIMITS.pubmed,
  };
  const figures = (Object.keys(LATENCY) as FakeSource[]).map((source): BurstFigure => {
    const at = fake.requestsFor(source).map((r) => r.at).sort((a, b) => a - b);
    const span = at.length > 1 ? (at[at.length - 1]! - at[0]!) / 1000 : 0;
    const window = limits[source].perMs;
    const busiest = Math.max(0, ...at.map((t0) => at.filter((t) => t >= t0 && t - t0 < window).length));
    return {
      source,
      requests: at.length,
      perSecond: span > 0 ? (at.length - 1) / span : 0,
      busiest,
      limit: limits[source],
      ...outcome.get(source)!,
    };
  });
  await fake.close();
  return figures;
}

const chains: { ms: number; source: string }[] = [];
const fans: { searchMs: number; repeatRequests: number; firstRequests: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  chains.push(await slowestChain(round));
  fans.push(await fanOut(round));
}
const chainMs = median(chains.map((c) => c.ms));
const searchMs = median(fans.map((f) => f.searchMs));
out(`Latencies held by the fake: ${Object.entries(LATENCY).map(([s, ms]) => `${s} ${ms} ms${s === 'pubmed' ? ' x 2 requests' : ''}`).join(', ')}`);
out(`1. Parallel fan-out (median of ${ROUNDS}): search stage ${Math.round(searchMs)} ms vs slowest single chain ${Math.round(chainMs)} ms (${chains.map((c) => c.source).join('/')})`);
out(`   ratio ${(searchMs / chainMs).toFixed(2)} (target <= 1.2)`);
out(`2. Repeated question: ${fans.map((f) => f.repeatRequests).join(', ')} HTTP requests (first ask: ${fans[0]!.firstRequests}; target 0)`);

const figures = await burst();
out(`3. Burst of ${BURST} different questions, each source search with a ${loadConfig({}).SYNTH_SOURCE_TIMEOUT_MS / 1000} s budget:`);
out('   source           requests  req/s seen  busiest window  published limit  searches ok/failed');
for (const f of figures) {
  const limit = `${f.limit.requests} per ${f.limit.perMs / 1000} s`;
  out(
    `   ${f.source.padEnd(16)} ${String(f.requests).padStart(8)}  ${f.perSecond.toFixed(2).padStart(10)}  ${String(f.busiest).padStart(14)}  ${limit.padStart(15)}  ${f.ok}/${f.failed}`,
  );
}
const held = figures.every((f) => f.busiest <= f.limit.requests);
out(`   rate limits ${held ? 'held' : 'EXCEEDED'}`);
out(
  JSON.stringify({
    searchMs: Math.round(searchMs),
    slowestChainMs: Math.round(chainMs),
    ratio: Number((searchMs / chainMs).toFixed(3)),
    repeatRequests: Math.max(...fans.map((f) => f.repeatRequests)),
    burst: Object.fromEntries(
      figures.map((f) => [
        f.source,
        { requests: f.requests, perSecond: Number(f.perSecond.toFixed(2)), busiest: f.busiest, limit: f.limit, ok: f.ok, failed: f.failed },
      ]),
    ),
    rateLimitsHeld: held,
  }),
);
