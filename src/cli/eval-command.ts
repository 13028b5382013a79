/**
 * `synthesize eval retrieval|verify|answer|followup`: the evaluations of DESIGN.md, each printing one JSON line.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config.js';
import { asSynthError, SynthError } from '../errors.js';
import { evaluateAnswers } from '../eval/answer.js';
import { DEFAULT_FOLLOWUP_SAMPLE, DEFAULT_FOLLOWUP_SEED, evaluateFollowUps } from '../eval/followup.js';
import { evaluateRetrieval } from '../eval/retrieval.js';
import { evaluateVerification } from '../eval/verify.js';
import { DEFAULT_OPEN_K, evaluateOpenVerification } from '../eval/verify-open.js';
import { createLogger } from '../logger.js';
import { DEFAULT_RANKER_OPTIONS, PLAIN_RANKER_OPTIONS } from '../rank/lexical-ranker.js';
import { createEngine } from '../runtime.js';
import { secretValues } from '../text/redact.js';
import { terminalSafe } from '../text/sanitize.js';
import type { CliIo } from './main.js';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more.');
  return n;
};

/** Adds the `eval` command and its subcommands to the program. */
export function registerEvalCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const evalCommand = program.command('eval').description('measure retrieval or verification quality; prints one JSON line');
  const fail = (error: unknown) => {
    const e = asSynthError(error);
    io.stderr.write(`synthesize eval: ${terminalSafe(e.message)}\n`);
    setExit(e.code === 'usage' || e.code === 'config' ? 2 : 1);
  };

  evalCommand
    .command('retrieval')
    .description('nDCG@10 and recall@100 of the corpus ranker on BEIR-format queries and qrels')
    .requiredOption('--corpus <file>', 'corpus (JSONL or JSONL.gz)')
    .requiredOption('--queries <file>', 'BEIR queries.jsonl')
    .requiredOption('--qrels <file>', 'BEIR qrels TSV')
    .addOption(new Option('--ranker <name>', 'ranker: the tuned default, or plain BM25F (the baseline)').choices(['default', 'plain']).default('default'))
    .action(async (options: { corpus: string; queries: string; qrels: string; ranker: 'default' | 'plain' }) => {
      try {
        const { perQuery: _perQuery, ...result } = await evaluateRetrieval(
          options,
          options.ranker === 'plain' ? PLAIN_RANKER_OPTIONS : DEFAULT_RANKER_OPTIONS,
        );
        io.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (error) {
        fail(error);
      }
    });

  evalCommand
    .command('verify')
    .description("SciFact claims judged against their cited abstracts through the engine's verify step")
    .requiredOption('--corpus <file>', 'SciFact corpus (JSONL or JSONL.gz)')
    .requiredOption('--claims <file>', 'SciFact claims JSONL with labels')
    .addOption(new Option('--engine <name>', 'engine to evaluate').choices(['extractive', 'llm']).default('extractive'))
    .option('--concurrency <n>', 'pairs judged at once (useful for a remote model)', (v) => Math.max(1, Number(v) || 1), 1)
    .option('--open', "SciFact's open setting: judge the top k abstracts of the whole corpus per claim; prints claims, k, precision, recall, f1")
    .option('--k <n>', 'with --open: abstracts retrieved per claim', positiveInt, DEFAULT_OPEN_K)
    .action(async (options: { corpus: string; claims: string; engine: 'extractive' | 'llm'; concurrency: number; open?: boolean; k: number }) => {
      try {
        const config = loadConfig(io.env);
        const engine = createEngine(options.engine, config, createLogger({ level: 'warn', secrets: secretValues(io.env) }));
        const run = { concurrency: options.concurrency, ...(io.signal ? { signal: io.signal } : {}) };
        const result = options.open
          ? await evaluateOpenVerification(options, engine, { ...run, k: options.k })
          : await evaluateVerification(options, engine, run);
        io.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (error) {
        fail(error);
      }
    });

  evalCommand
    .command('answer')
    .description('SciFact claims asked as "Is it true that ...?" through the whole pipeline; the answer against the gold label, beside the always-yes baseline')
    .requiredOption('--corpus <file>', 'SciFact corpus (JSONL or JSONL.gz), searched whole')
    .requiredOption('--claims <file>', 'SciFact claims JSONL with labels')
    .addOption(new Option('--engine <name>', 'engine to evaluate').choices(['extractive', 'llm']).default('extractive'))
    .option('--limit <n>', 'evaluate only the first n claims', positiveInt)
    .option('--max-papers <n>', 'papers included per question (the pipeline default otherwise)', positiveInt)
    .option('--concurrency <n>', 'questions run at once', positiveInt, 1)
    .option('--details <file>', 'also write one JSON line per claim (id, claim, gold, verdict, confidence, gold_cited) to this file')
    .action(
      async (options: {
        corpus: string;
        claims: string;
        engine: 'extractive' | 'llm';
        limit?: number;
        maxPapers?: number;
        concurrency: number;
        details?: string;
      }) => {
        try {
          const config = loadConfig(io.env);
          const engine = createEngine(options.engine, config, createLogger({ level: 'warn', secrets: secretValues(io.env) }));
          const evaluation = await evaluateAnswers(options, engine, {
            concurrency: options.concurrency,
            ...(options.limit !== undefined ? { limit: options.limit } : {}),
            ...(options.maxPapers !== undefined ? { maxPapers: options.maxPapers } : {}),
            ...(io.signal ? { signal: io.signal } : {}),
          });
          if (options.details) await writeDetails(options.details, evaluation.rows);
          if (evaluation.ties > 0) io.stderr.write(`synthesize eval: ${evaluation.ties} claim(s) left out: their evidence splits evenly.\n`);
          const failed = evaluation.rows.filter((r) => r.error !== undefined);
          if (failed.length > 0) {
            io.stderr.write(`synthesize eval: ${failed.length} run(s) failed and count as abstained (first: claim ${failed[0]!.id}, ${failed[0]!.error}).\n`);
          }
          io.stdout.write(`${JSON.stringify({ ...evaluation.result, baseline_always_yes: evaluation.baseline })}\n`);
        } catch (error) {
          fail(error);
        }
      },
    );

  evalCommand
    .command('followup')
    .description("follow-ups answered from a thread's papers only: a seeded sample of SciFact claims asked as \"Is it true that ...?\", then a follow-up from the same claim asked of the saved report")
    .requiredOption('--corpus <file>', 'SciFact corpus (JSONL or JSONL.gz), searched whole by the original question')
    .requiredOption('--claims <file>', 'SciFact claims JSONL with labels')
    .addOption(new Option('--engine <name>', 'engine to evaluate').choices(['extractive', 'llm']).default('extractive'))
    .option('--sample <n>', `claims sampled (default ${DEFAULT_FOLLOWUP_SAMPLE})`, positiveInt, DEFAULT_FOLLOWUP_SAMPLE)
    .option('--seed <n>', `sampling seed (default ${DEFAULT_FOLLOWUP_SEED})`, positiveInt, DEFAULT_FOLLOWUP_SEED)
    .option('--details <file>', 'also write one JSON line per claim (follow-up, contextualised question, both answers, time) to this file')
    .action(async (options: { corpus: string; claims: string; engine: 'extractive' | 'llm'; sample: number; seed: number; details?: string }) => {
      try {
        const config = loadConfig(io.env);
        const engine = createEngine(options.engine, config, createLogger({ level: 'warn', secrets: secretValues(io.env) }));
        const evaluation = await evaluateFollowUps(options, engine, {
          sample: options.sample,
          seed: options.seed,
          ...(io.signal ? { signal: io.signal } : {}),
        });
        if (options.details) await writeDetails(options.details, evaluation.rows);
        const failed = evaluation.rows.filter((r) => r.error !== undefined);
        if (failed.length > 0) {
          io.stderr.write(`synthesize eval: ${failed.length} run(s) failed and count as abstained (first: claim ${failed[0]!.id}, ${failed[0]!.error}).\n`);
        }
        io.stdout.write(`${JSON.stringify(evaluation.result)}\n`);
      } catch (error) {
        fail(error);
      }
    });
}

async function writeDetails(path: string, rows: readonly object[]): Promise<void> {
  try {
    await writeFile(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } catch (error) {
    throw new SynthError('internal', `Cannot write details ${path}: ${(error as Error).message}`, { cause: error });
  }
}
