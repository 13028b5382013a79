/**
 * Benchmark of the LLM engine's concurrency: a loopback fake OpenAI-compatible model answering every
 * call after a fixed latency (default 500 ms), a run over 20 papers and 10 claims, at several
 * `LLM_CONCURRENCY` limits. It prints the wall time against the critical path of calls that must be
 * sequential (plan -> extract -> verify -> review -> compose: five model latencies, since the core
 * reviews verified claims; the ratio to four latencies, verify and review counted as one level as the
 * issue words it, is printed too), the model calls and the tokens per report.
 *
 *   npx tsx bench/llm.ts [latencyMs] [concurrency,...]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { ReportSchema } from '../src/model.js';
import { createRuntime } from '../src/runtime.js';
import { startFakeLlm } from '../test/llm/fake-llm-server.js';
import { fakeModel } from '../test/llm/fake-model.js';

const LATENCY_MS = Number(process.argv[2] ?? 500);
const LIMITS = (process.argv[3] ?? '1,4,10').split(',').map(Number);
const PAPERS = 20;
const CLAIMS = 10;
/** Sequential levels of model calls: plan, extract, verify, review, compose. */
const LEVELS = 5;
const QUESTION = 'Does exercise training reduce blood pressure in adults with hypertension?';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** A synthetic corpus: every paper is on topic and states one distinct finding. */
function corpusLines(count: number): string {
  return Array.from({ length: count }, (_, i) => {
    const n = 40 + i * 7;
    const weeks = 8 + (i % 5) * 4;
    const drop = (3 + (i % 9) * 0.7).toFixed(1);
    return JSON.stringify({
      id: `bp${i + 1}`,
      title: `Exercise training and blood pressure in adults with hypertension: trial ${i + 1}`,
      year: 2000 + (i % 24),
      venue: `Journal of Hypertension Research ${1 + (i % 6)}`,
      authors: [`Author ${i + 1}`],
      abstract: [
        `We randomised ${n} adults with hypertension to supervised exercise training or usual care for ${weeks} weeks.`,
        `Exercise training reduced systolic blood pressure by ${drop} mmHg compared with usual care.`,
        `In this trial of ${n} adults with hypertension, ${weeks} weeks of exercise training lowered blood pressure by ${drop} mmHg.`,
      ].join(' '),
    });
  }).join('\n');
}

async function runOnce(limit: number, corpus: string) {
  const fake = await startFakeLlm({ protocol: 'openai', script: fakeModel(), latencyMs: LATENCY_MS });
  try {
    const env = {
      SYNTH_ENGINE: 'llm',
      SYNTH_SOURCES: 'none',
      STORE_URL: 'memory://',
      LLM_PROVIDER: 'openai',
      LLM_BASE_URL: fake.url,
      LLM_MODEL: 'bench-model',
      LLM_CONCURRENCY: String(limit),
      LLM_TIMEOUT_MS: '60000',
    };
    const runtime = createRuntime(loadConfig(env), silentLogger, { corpus: [corpus], offline: true });
    const t0 = performance.now();
    const report = await runtime.synthesize({ question: QUESTION, maxPapers: PAPERS, maxClaims: CLAIMS });
    const ms = performance.now() - t0;
    ReportSchema.parse(report);
    const llm = (report.methodology as unknown as { llm: { calls: number; promptTokens: number; completionTokens: number; totalTokens: number; steps: Record<string, { calls: number }> } }).llm;
    return { ms, report, llm, maxInFlight: fake.maxInFlight };
  } finally {
    await fake.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-llm-'));
try {
  const corpus = join(dir, 'corpus.jsonl');
  await writeFile(corpus, corpusLines(PAPERS + 4));
  const critical = LEVELS * LATENCY_MS;
  out(`LLM engine bench: fake model latency ${LATENCY_MS} ms/call, ${PAPERS} papers, ${CLAIMS} claims`);
  out(`critical path: ${LEVELS} sequential calls (plan, extract, verify, review, compose) = ${critical} ms`);
  out(`(4-level path, counting verify and review as one level as the issue words it: ${(LEVELS - 1) * LATENCY_MS} ms)`);
  out('');
  out('| LLM_CONCURRENCY | wall ms | x critical path | x 4-level path | model calls (plan/extract/verify/review/compose) | most in flight | prompt tokens | completion tokens | tokens per report |');
  out('|---|---|---|---|---|---|---|---|---|');
  // A warm-up run loads the modules and the corpus index, so the timed runs measure the engine.
  await runOnce(Math.max(...LIMITS), corpus);
  for (const limit of LIMITS) {
    const { ms, report, llm, maxInFlight } = await runOnce(limit, corpus);
    if (report.claims.length !== CLAIMS || report.methodology.included !== PAPERS) {
      throw new Error(`expected ${PAPERS} papers and ${CLAIMS} claims, got ${report.methodology.included} and ${report.claims.length}`);
    }
    const perStep = ['plan', 'extract', 'verify', 'review', 'compose'].map((s) => llm.steps[s]?.calls ?? 0).join('/');
    out(
      `| ${limit} | ${Math.round(ms)} | ${(ms / critical).toFixed(2)} | ${(ms / ((LEVELS - 1) * LATENCY_MS)).toFixed(2)} | ${llm.calls} (${perStep}) | ${maxInFlight} | ${llm.promptTokens} | ${llm.completionTokens} | ${llm.totalTokens} |`,
    );
  }
  out('');
  out(`target: wall time <= 1.3 x critical path (${Math.round(1.3 * critical)} ms) with enough concurrency for each level's calls (10 verify calls).`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
