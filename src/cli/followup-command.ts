/**
 * `synthesize followup --report report.json "<question>"`: a follow-up question answered from a saved
 * JSON report's papers (their abstracts travel in the report), through the core's `followUp`, printed
 * like the main command prints a report.
 *
 * Widening (searching for the follow-up when the report's papers do not answer it) happens only when
 * sources are configured explicitly: `--corpus`/`--sources` here, or `SYNTH_CORPUS`/`SYNTH_SOURCES` in
 * the environment (not the default of all five live sources), and not with `--no-widen`; `--offline`
 * leaves only the corpus. Exit codes as the main command's: 2 for a usage error (an empty, hostile or
 * chit-chat follow-up; an old report without abstracts and nothing configured to search), 1 when no
 * report could be made (a missing, unreadable or invalid report file; every source failed).
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import { SynthError, UsageError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { Engine } from '../engines/engine.js';
import { LIVE_SOURCE_NAMES, ReportSchema, type Report } from '../model.js';
import { followUp, sanitizeFollowUp, threadPapers, type FollowUpResult } from '../pipeline/followup.js';
import type { Synthesize } from '../pipeline/synthesize.js';
import { createEngine, createRuntime, parseSourceList, type RuntimeOverrides } from '../runtime.js';
import { createStores, type Stores } from '../store/store.js';
import { secretValues } from '../text/redact.js';
import { terminalSafe } from '../text/sanitize.js';
import { cliLogLevel, collect, EXIT, positiveInt, reportError, writeReport } from './common.js';
import type { CliIo } from './main.js';
import { createProgressPrinter } from './progress-printer.js';

interface FollowUpCliOptions {
  report: string;
  corpus: string[];
  sources?: string;
  offline?: boolean;
  widen: boolean;
  maxPapers?: number;
  maxClaims?: number;
  engine?: 'extractive' | 'llm';
  format: 'markdown' | 'json';
  out?: string;
  quiet?: boolean;
}

/** Adds the `followup` command to the program. */
export function registerFollowUpCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('followup')
    .description("answer a follow-up question from a saved JSON report's papers (searching configured sources only when they do not answer it)")
    .argument('[question...]', 'the follow-up, e.g. "what about in people over 65?"; read in the context of the report\'s question')
    .requiredOption('--report <file>', 'a JSON report (written with --format json)')
    .option('--corpus <path>', 'a local corpus to search when the report\'s papers do not answer (repeatable)', collect, [] as string[])
    .option('--sources <list>', `live sources to search when the report's papers do not answer: ${LIVE_SOURCE_NAMES.join(',')}, or none`)
    .option('--offline', 'search no live source when widening (only --corpus)')
    .option('--no-widen', "answer from the report's papers only, even with sources configured")
    .option('--max-papers <n>', 'papers included (default: all of the report\'s; when widening, 20)', positiveInt('--max-papers', 200))
    .option('--max-claims <n>', 'claims extracted (default 8)', positiveInt('--max-claims', 50))
    .addOption(new Option('--engine <name>', 'judgement engine').choices(['extractive', 'llm']))
    .addOption(new Option('--format <format>', 'report format').choices(['markdown', 'json']).default('markdown'))
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Examples:
  synthesize --offline --corpus corpus.jsonl.gz --format json --out report.json "Does vitamin D supplementation reduce fracture risk?"
  synthesize followup --report report.json "over 65?"
  synthesize followup --report report.json --offline --corpus corpus.jsonl.gz "what about in children?"

The follow-up is read in the context of the report's question ("over 65?" asks the same question for
people over 65) and answered from the report's papers. Only when they do not answer it, and sources are
configured (--corpus, --sources, SYNTH_CORPUS or SYNTH_SOURCES; not with --no-widen), are they searched.`,
    )
    .action(async (words: string[], options: FollowUpCliOptions) => {
      setExit(await runFollowUp(words, options, io));
    });
}

async function runFollowUp(words: string[], options: FollowUpCliOptions, io: CliIo): Promise<number> {
  let stores: Stores | undefined;
  try {
    const asked = sanitizeFollowUp(words.join(' '));
    const config = loadConfig(io.env);
    const report = await readReport(options.report);
    const corpus = options.corpus.length > 0 ? options.corpus : config.SYNTH_CORPUS;
    const explicitLive = options.sources !== undefined || (io.env.SYNTH_SOURCES ?? '').trim() !== '';
    const live = options.offline || !explicitLive ? [] : options.sources !== undefined ? parseSourceList(options.sources) : config.SYNTH_SOURCES;
    const widen = options.widen && (corpus.length > 0 || live.length > 0);
    const papers = threadPapers(report);
    if (papers.length === 0 && !widen) {
      throw new UsageError(
        `${options.report} was saved without its papers' abstracts (a report made before reports carried them), so its papers cannot answer a follow-up; give --corpus FILE or --sources LIST to search for an answer instead.`,
      );
    }
    const log = createLogger({ level: options.quiet ? 'error' : cliLogLevel(config), secrets: secretValues(io.env) });
    const say = (line: string) => {
      if (!options.quiet) io.stderr.write(`${terminalSafe(line)}\n`);
    };
    if (papers.length === 0) say(`${options.report} was saved without its papers' abstracts; answering from the configured sources.`);

    let engine: Engine;
    let widenWith: Synthesize | undefined;
    if (widen) {
      const overrides: RuntimeOverrides = { corpus, sources: live };
      if (options.offline) overrides.offline = true;
      if (options.engine) overrides.engine = options.engine;
      if (live.length > 0) stores = await createStores(config.STORE_URL);
      const runtime = createRuntime(config, log, overrides, stores);
      engine = runtime.engine;
      widenWith = runtime.synthesize;
    } else {
      engine = createEngine(options.engine ?? config.SYNTH_ENGINE, config, log);
    }

    const tty = Boolean(io.stderr.isTTY);
    let printer = options.quiet ? undefined : createProgressPrinter(io.stderr, tty);
    const result: FollowUpResult = await followUp(report, asked, {
      engine,
      ...(widenWith ? { widen: widenWith } : {}),
      ...(options.maxPapers !== undefined ? { maxPapers: options.maxPapers } : {}),
      ...(options.maxClaims !== undefined ? { maxClaims: options.maxClaims } : {}),
      ...(printer ? { onEvent: (event) => printer?.(event) } : {}),
      // The search is a second run: a fresh progress display for it.
      onWiden: (reason) => {
        if (printer) {
          say(reason);
          printer = createProgressPrinter(io.stderr, tty);
        }
      },
      log,
      secrets: secretValues(config),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    say(describeOutcome(result, report, papers.length));
    await writeReport(result.report, options, io);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr);
  } finally {
    await stores?.close();
  }
}

function describeOutcome(result: FollowUpResult, report: Report, papers: number): string {
  const read = `Read as: ${result.question}`;
  if (result.scope === 'thread') return `${read}\nAnswered from the ${papers} paper(s) of report ${report.id}.`;
  if (result.scope === 'widened') return `${read}\nAnswered from the configured sources (the report's papers did not answer it).`;
  return `${read}\nNothing answers it: ${result.report.answer?.text ?? ''}`;
}

/** Reads and validates a JSON report; a clear one-line error naming the file otherwise (also used by `synthesize add`). */
export async function readReport(path: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new SynthError('validation', `Cannot read report ${path}: ${reason}.`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SynthError(
      'validation',
      `${path} is not JSON (${(error as Error).message.slice(0, 120)}); pass a report written with --format json.`,
      { cause: error },
    );
  }
  const parsed = ReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `field "${issue.path.join('.')}": ` : '';
    throw new SynthError('validation', `${path} is not a synthesize JSON report (${where}${issue?.message ?? 'invalid'}).`);
  }
  return parsed.data;
}
