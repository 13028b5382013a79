/**
 * A worker process for the scale-out tests and the bench (`node --import tsx test/helpers/worker-process.ts`):
 * `runWorker` over the environment (QUEUE_URL, STORE_URL, WORKER_LOCK_MS, …), its runtime the
 * extractive engine over the corpus files of `SYNTH_CORPUS`, with each extraction delayed by
 * `EXTRACT_DELAY_MS` so a test can kill the process mid-run. Prints one JSON line when it takes runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import type { Engine } from '../../src/engines/engine.js';
import { createSynthesizer } from '../../src/pipeline/synthesize.js';
import { createCorpusSource } from '../../src/sources/corpus.js';
import { runWorker } from '../../src/worker.js';
import { createLogger } from '../../src/logger.js';

const delayMs = Number(process.env.EXTRACT_DELAY_MS ?? 0);
const slowed = (engine: Engine): Engine => ({
  ...engine,
  extract: async (input, ctx) => {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal });
    return engine.extract(input, ctx);
  },
  ...(engine.forRun ? { forRun: () => slowed(engine.forRun!()) } : {}),
});
const engine = slowed(createExtractiveEngine());
const sources = [createCorpusSource((process.env.SYNTH_CORPUS ?? '').split(',').filter(Boolean))];
const runtime = { synthesize: createSynthesizer({ sources, engine }), engine, sources, skipped: [] };
const started = await runWorker(process.env, { runtime, log: createLogger({ level: (process.env.LOG_LEVEL as 'silent') ?? 'silent', secrets: [] }) });
process.stdout.write(`${JSON.stringify({ ready: true, name: started.worker.name, port: started.port ?? null })}\n`);
const stop = () => void started.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
