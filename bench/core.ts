/**
 * Core speed on the 5,183-abstract SciFact corpus: index build time, end-to-end time of one question
 * after the index is built (median and p95 over 30 questions, with each stage's median), and the
 * process's peak RSS. Targets (issue 2): index < 5 s, one question < 500 ms, peak RSS < 400 MB.
 *
 *   npx tsx bench/core.ts        (SCIFACT_DIR overrides ../shared/data/scifact)
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createExtractiveEngine } from '../src/engines/extractive/index.js';
import { createSynthesizer } from '../src/pipeline/synthesize.js';
import { createCorpusSource } from '../src/sources/corpus.js';

const dir = resolve(process.env.SCIFACT_DIR ?? new URL('../../shared/data/scifact', import.meta.url).pathname);
const source = createCorpusSource([resolve(dir, 'corpus.jsonl.gz')]);

const t0 = performance.now();
const corpus = await source.load();
const indexMs = performance.now() - t0;

// Questions: the example plus SciFact claims turned into questions (every 27th train claim).
const claims = (await readFile(resolve(dir, 'claims_train.jsonl'), 'utf8'))
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { claim: string }).claim);
const questions = ['Does vitamin D supplementation reduce fracture risk?', ...claims.filter((_, i) => i % 27 === 0).slice(0, 29).map((c) => `Is it true that ${c.replace(/\.$/, '')}?`)];

const synthesize = createSynthesizer({ sources: [source], engine: createExtractiveEngine() });
await synthesize({ question: questions[0]! }); // warm-up (JIT), not counted
const totals: number[] = [];
const stages = new Map<string, number[]>();
let claimsMade = 0;
for (const question of questions) {
  const start = performance.now();
  const report = await synthesize({ question });
  totals.push(performance.now() - start);
  claimsMade += report.claims.length;
  for (const [stage, ms] of Object.entries(report.timings.stages)) stages.set(stage, [...(stages.get(stage) ?? []), ms]);
}
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'core',
    corpus: { papers: corpus.papers.length, indexBuildMs: Math.round(indexMs), target: '< 5000' },
    question: { runs: questions.length, medianMs: ms(quantile(totals, 0.5)), p95Ms: ms(quantile(totals, 0.95)), maxMs: ms(Math.max(...totals)), target: '< 500', claimsPerReport: ms(claimsMade / questions.length) },
    stageMedianMs: Object.fromEntries([...stages].map(([stage, xs]) => [stage, ms(quantile(xs, 0.5))])),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rssTarget: '< 400',
  }),
);
