/**
 * The `synthesize` command. Progress goes to stderr, the report to stdout (or `--out FILE`).
 * Exit codes: 0 success; 2 usage or configuration error (empty question, unknown option, bad value);
 * 1 no report could be made (every source failed, unreadable corpus), with a one-line reason.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../logger.js';
import { LIVE_SOURCE_NAMES } from '../model.js';
import { createRuntime, parseSourceList, type RuntimeOverrides } from '../runtime.js';
import { createStores, type Stores } from '../store/store.js';
import { secretValues } from '../text/redact.js';
import { MAX_QUESTION_LENGTH, sanitizeQuestion } from '../text/sanitize.js';
import { registerAddCommand } from './add-command.js';
import { cliLogLevel, collect, EXIT, positiveInt, reportError, writeReport, year } from './common.js';
import { registerEvalCommand } from './eval-command.js';
import { registerFollowUpCommand } from './followup-command.js';
import { registerIndexCommand } from './index-command.js';
import { createProgressPrinter, type TextSink } from './progress-printer.js';

export { EXIT } from './common.js';

/** Where the CLI reads and writes; the real process by default, fakes in tests. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Cancels the run (Ctrl-C). */
  signal?: AbortSignal;
}

interface RunOptions {
  corpus: string[];
  sources?: string;
  offline?: boolean;
  maxPapers?: number;
  maxClaims?: number;
  engine?: 'extractive' | 'llm';
  format: 'markdown' | 'json';
  out?: string;
  yearFrom?: number;
  yearTo?: number;
  quiet?: boolean;
}

const HELP_AFTER = `
Examples:
  synthesize --offline --corpus corpus.jsonl.gz "Does vitamin D supplementation reduce fracture risk?"
  synthesize --sources openalex,pubmed --year-from 2015 --format json --out report.json "Does metformin reduce cancer risk?"
  synthesize followup --report report.json "what about in people over 65?"
  synthesize add --report report.json --format json --out report2.json 10.1056/NEJMoa2034577
  synthesize index build --corpus corpus.jsonl.gz
  synthesize eval retrieval --corpus corpus.jsonl.gz --queries queries.jsonl --qrels qrels.tsv
  synthesize eval verify --corpus corpus.jsonl.gz --claims claims_train.jsonl
  synthesize eval verify --open --k 3 --corpus corpus.jsonl.gz --claims claims_train.jsonl
  synthesize eval answer --corpus corpus.jsonl.gz --claims claims_train.jsonl --details answers.jsonl

Corpus files: JSONL or JSONL.gz, one paper per line with "id" (or "_id"/"doc_id"), "title", "abstract"
(a string or an array of sentences; "text" accepted) and optional "authors", "year", "venue", "doi", "url".
SciFact and BEIR files load as they are.

Environment (flags override): SYNTH_SOURCES, SYNTH_CORPUS, SYNTH_ENGINE, SYNTH_MAX_PAPERS,
SYNTH_SOURCE_TIMEOUT_MS, SYNTH_INDEX_DIR, STORE_URL, LOG_LEVEL, CONTACT_EMAIL, <SOURCE>_BASE_URL, SEMANTIC_SCHOLAR_API_KEY,
NCBI_API_KEY, LLM_PROVIDER, LLM_BASE_URL, LLM_API_KEY, LLM_MODEL (see .env.example).

Progress goes to stderr, the report to stdout.
Exit codes: 0 success, 2 usage or configuration error, 1 no report could be made.`;

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('synthesize')
    .description('Systematic literature synthesis: search, de-duplicate, screen, extract claims, verify, review, report.')
    .argument('[question...]', `the research question (at most ${MAX_QUESTION_LENGTH} characters)`)
    .option('--corpus <path>', 'a local corpus file, JSONL or JSONL.gz (repeatable)', collect, [] as string[])
    .option('--sources <list>', `live sources, a comma list of ${LIVE_SOURCE_NAMES.join(',')}, or none`)
    .option('--offline', 'search no live source (use --corpus)')
    .option('--max-papers <n>', 'papers included in the synthesis (default 20)', positiveInt('--max-papers', 200))
    .option('--max-claims <n>', 'claims extracted (default 8)', positiveInt('--max-claims', 50))
    .addOption(new Option('--engine <name>', 'judgement engine').choices(['extractive', 'llm']))
    .addOption(new Option('--format <format>', 'report format').choices(['markdown', 'json']).default('markdown'))
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('--year-from <year>', 'only papers published in or after this year', year)
    .option('--year-to <year>', 'only papers published in or before this year', year)
    .option('-q, --quiet', 'no progress output')
    .version('0.1.0')
    .enablePositionalOptions()
    .showHelpAfterError('(run synthesize --help for usage)')
    .addHelpText('after', HELP_AFTER)
    .exitOverride()
    // Without this the program's own --corpus swallows `eval verify --corpus F` and the subcommand misses it.
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .action(async (words: string[], options: RunOptions) => {
      exitCode = await runQuestion(words, options, io);
    });
  registerEvalCommand(program, io, (code) => (exitCode = code));
  registerFollowUpCommand(program, io, (code) => (exitCode = code));
  registerAddCommand(program, io, (code) => (exitCode = code));
  registerIndexCommand(program, io, (code) => (exitCode = code));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0 through here; every parse error is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return report(error, io);
  }
}

async function runQuestion(words: string[], options: RunOptions, io: CliIo): Promise<number> {
  let stores: Stores | undefined;
  try {
    if (options.yearFrom !== undefined && options.yearTo !== undefined && options.yearFrom > options.yearTo) {
      throw new UsageError('--year-from is after --year-to.');
    }
    const question = sanitizeQuestion(words.join(' '));
    const config = loadConfig(io.env);
    const overrides: RuntimeOverrides = { corpus: options.corpus };
    if (options.sources !== undefined) overrides.sources = parseSourceList(options.sources);
    if (options.offline) overrides.offline = true;
    if (options.engine) overrides.engine = options.engine;
    const corpus = options.corpus.length > 0 ? options.corpus : config.SYNTH_CORPUS;
    const live = options.offline ? [] : (overrides.sources ?? config.SYNTH_SOURCES);
    if (corpus.length === 0 && live.length === 0) {
      throw new UsageError('Nothing to search: give --corpus FILE, or live sources with --sources (not with --offline).');
    }
    const log = createLogger({ level: options.quiet ? 'error' : cliLogLevel(config), secrets: secretValues(io.env) });
    // The store is opened only for live sources (their response cache); a corpus run needs none.
    if (live.length > 0) stores = await createStores(config.STORE_URL);
    const runtime = createRuntime(config, log, overrides, stores);
    const printer = options.quiet ? undefined : createProgressPrinter(io.stderr, Boolean(io.stderr.isTTY));
    const report = await runtime.synthesize(
      {
        question,
        maxPapers: options.maxPapers ?? config.SYNTH_MAX_PAPERS,
        ...(options.maxClaims !== undefined ? { maxClaims: options.maxClaims } : {}),
        ...(options.yearFrom !== undefined ? { yearFrom: options.yearFrom } : {}),
        ...(options.yearTo !== undefined ? { yearTo: options.yearTo } : {}),
      },
      { ...(printer ? { onEvent: printer } : {}), ...(io.signal ? { signal: io.signal } : {}) },
    );
    await writeReport(report, options, io);
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  } finally {
    await stores?.close();
  }
}

/** Prints a one-line reason and maps the error to an exit code. */
function report(error: unknown, io: CliIo): number {
  return reportError(error, io.stderr);
}

function defaultIo(): CliIo {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal };
}
