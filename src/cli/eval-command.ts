/**
 * `synthesize eval retrieval|verify`: the evaluations of DESIGN.md, each printing one JSON line.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import { asSynthError } from '../errors.js';
import { evaluateRetrieval } from '../eval/retrieval.js';
import { evaluateVerification } from '../eval/verify.js';
import { createLogger } from '../logger.js';
import { DEFAULT_RANKER_OPTIONS, PLAIN_RANKER_OPTIONS } from '../rank/lexical-ranker.js';
import { createEngine } from '../runtime.js';
import type { CliIo } from './main.js';

/** Adds the `eval` command and its two subcommands to the program. */
export function registerEvalCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const evalCommand = program.command('eval').description('measure retrieval or verification quality; prints one JSON line');
  const fail = (error: unknown) => {
    const e = asSynthError(error);
    io.stderr.write(`synthesize eval: ${e.message}\n`);
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
    .action(async (options: { corpus: string; claims: string; engine: 'extractive' | 'llm'; concurrency: number }) => {
      try {
        const config = loadConfig(io.env);
        const engine = createEngine(options.engine, config, createLogger({ level: 'warn' }));
        const result = await evaluateVerification(options, engine, {
          concurrency: options.concurrency,
          ...(io.signal ? { signal: io.signal } : {}),
        });
        io.stdout.write(`${JSON.stringify(result)}\n`);
      } catch (error) {
        fail(error);
      }
    });
}
