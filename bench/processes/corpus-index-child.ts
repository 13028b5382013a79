/**
 * A process of bench/corpus.ts, so each figure is one process's own (peak RSS above all):
 *   build DIR FILE...     builds the corpus index, prints {buildMs, papers, peakRssMb}
 *   query DIR Q FILE...   opens the built index, answers the questions in the JSON file Q (one search
 *                         of the corpus source each, as a run makes), prints {openMs, medianMs, p95Ms,
 *                         maxMs, peakRssMb}
 */
import { readFileSync } from 'node:fs';
import { openCorpusIndex } from '../../src/corpus-index/corpus-index.js';
import { silentLogger } from '../../src/logger.js';
import { createCorpusSource } from '../../src/sources/corpus.js';

const [mode, dir, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

if (mode === 'build') {
  const started = performance.now();
  const corpus = await openCorpusIndex(dir).ensure(rest);
  const buildMs = Math.round(performance.now() - started);
  process.stdout.write(`${JSON.stringify({ buildMs, papers: corpus.files.reduce((n, f) => n + f.papers, 0), peakRssMb: peakRssMb() })}\n`);
} else {
  const [questionsFile, ...files] = rest as [string, ...string[]];
  const questions = JSON.parse(readFileSync(questionsFile, 'utf8')) as string[];
  const source = createCorpusSource(files, { indexDir: dir });
  const ctx = { signal: new AbortController().signal, log: silentLogger };
  const query = (text: string) => source.search({ question: text, text, terms: [], maxResults: 60 }, ctx);
  const opened = performance.now();
  await query(questions[0]!);
  const openMs = performance.now() - opened;
  const times: number[] = [];
  for (const q of questions.slice(1)) {
    const t = performance.now();
    await query(q);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]!);
  process.stdout.write(`${JSON.stringify({ openMs: Math.round(openMs), medianMs: at(0.5), p95Ms: at(0.95), maxMs: Math.round(times.at(-1)!), peakRssMb: peakRssMb() })}\n`);
}
