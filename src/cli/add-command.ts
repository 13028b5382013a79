/**
 * `synthesize add --report report.json <id>`: fetches one paper by identifier from the configured
 * sources (`lookupPaper`: a DOI, an arXiv id, a PubMed id, an OpenAlex id, a corpus paper id or title),
 * adds it to a saved JSON report (`addPaper`: the report's question run again over its papers plus
 * this one, every claim verified again), prints the new report as the main command does and, on
 * stderr, what changed (`describeChanges`).
 *
 * Where it looks: `--corpus` (or `SYNTH_CORPUS`) first, then the live sources (`--sources`, or
 * `SYNTH_SOURCES`, all five by default; a lookup is one request per source, made only for the paper
 * asked for); `--offline` keeps to the corpus. An id the report already has is answered from the report
 * without any lookup. Exit codes as the main command's: 2 for a usage error (no id, text that is no
 * paper id, nothing to look it up in), 1 when no report could be made (a missing, unreadable or invalid
 * report file; the paper not found; every source asked failed; a report saved without abstracts), 0
 * otherwise, also when the paper was already in the report or could not be included (no abstract, off
 * the question's topic): the report is then printed unchanged and stderr says why.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import { SynthError, UsageError } from '../errors.js';
import { createLogger } from '../logger.js';
import { LIVE_SOURCE_NAMES } from '../model.js';
import { addPaper, describeChanges, findReference, paperLabel } from '../pipeline/add-paper.js';
import { createRuntime, parseSourceList, type RuntimeOverrides } from '../runtime.js';
import { describePaperId, lookupPaper, PAPER_ID_HINT, requirePaperId } from '../sources/lookup.js';
import { createStores, type Stores } from '../store/store.js';
import { secretValues } from '../text/redact.js';
import { terminalSafe } from '../text/sanitize.js';
import { cliLogLevel, collect, EXIT, positiveInt, reportError, writeReport } from './common.js';
import { readReport } from './followup-command.js';
import type { CliIo } from './main.js';
import { createProgressPrinter } from './progress-printer.js';

interface AddCliOptions {
  report: string;
  corpus: string[];
  sources?: string;
  offline?: boolean;
  maxClaims?: number;
  engine?: 'extractive' | 'llm';
  format: 'markdown' | 'json';
  out?: string;
  quiet?: boolean;
}

/** Adds the `add` command to the program. */
export function registerAddCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('add')
    .description('fetch a paper by DOI, arXiv id, PubMed id or corpus id and add it to a saved JSON report (claims verified again)')
    .argument('[id...]', 'the paper: 10.1056/NEJMoa2034577, arXiv:2406.15877, PMID 12345678, corpus:4983, ...')
    .requiredOption('--report <file>', 'a JSON report (written with --format json)')
    .option('--corpus <path>', 'a local corpus to look the paper up in, asked first (repeatable)', collect, [] as string[])
    .option('--sources <list>', `live sources to look the paper up in: ${LIVE_SOURCE_NAMES.join(',')}, or none (default: SYNTH_SOURCES, all five)`)
    .option('--offline', 'look the paper up in the corpus only')
    .option('--max-claims <n>', "claims stated (default: the report's count plus 2, at least 8)", positiveInt('--max-claims', 50))
    .addOption(new Option('--engine <name>', 'judgement engine').choices(['extractive', 'llm']))
    .addOption(new Option('--format <format>', 'report format').choices(['markdown', 'json']).default('markdown'))
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('-q, --quiet', 'no progress output (what changed is still said on stderr)')
    .addHelpText(
      'after',
      `
Examples:
  synthesize --offline --corpus corpus.jsonl.gz --format json --out report.json "Does aspirin reduce the risk of colorectal cancer?"
  synthesize add --report report.json --offline --corpus corpus.jsonl.gz --format json --out report2.json corpus:7613033
  synthesize add --report report.json --sources openalex,crossref 10.1056/NEJMoa2034577
  synthesize add --report report.json arXiv:2406.15877

The paper is fetched (the corpus first, then the live sources), the report's question is run again over
its papers plus this one, and every claim is verified again. The new report goes to stdout (or --out);
what changed (new claims, verdicts that moved, the answer) to stderr.`,
    )
    .action(async (words: string[], options: AddCliOptions) => {
      setExit(await runAdd(words, options, io));
    });
}

async function runAdd(words: string[], options: AddCliOptions, io: CliIo): Promise<number> {
  let stores: Stores | undefined;
  try {
    const text = words.join(' ').trim();
    if (!text) throw new UsageError(`Give the paper to add: ${PAPER_ID_HINT}.`);
    const id = requirePaperId(text);
    const config = loadConfig(io.env);
    const report = await readReport(options.report);
    const say = (line: string) => {
      if (!options.quiet) io.stderr.write(`${terminalSafe(line)}\n`);
    };
    const tell = (line: string) => io.stderr.write(`${terminalSafe(line)}\n`);

    // An id the report's references already name needs no lookup.
    const known = findReference(report, id);
    if (known) {
      tell(`[${known.number}] ${paperLabel(known.reference)} is already in the report; nothing was re-run.`);
      await writeReport(report, options, io);
      return EXIT.ok;
    }

    const corpus = options.corpus.length > 0 ? options.corpus : config.SYNTH_CORPUS;
    const live = options.offline ? [] : options.sources !== undefined ? parseSourceList(options.sources) : config.SYNTH_SOURCES;
    if (corpus.length === 0 && live.length === 0) {
      throw new UsageError('Nothing to look the paper up in: give --corpus FILE, or live sources with --sources (not with --offline).');
    }
    const log = createLogger({ level: options.quiet ? 'error' : cliLogLevel(config), secrets: secretValues(io.env) });
    const overrides: RuntimeOverrides = { corpus, sources: live };
    if (options.offline) overrides.offline = true;
    if (options.engine) overrides.engine = options.engine;
    // The store holds the live sources' response cache; a corpus lookup needs none.
    if (live.length > 0) stores = await createStores(config.STORE_URL);
    const runtime = createRuntime(config, log, overrides, stores);

    say(`Looking up ${describePaperId(id)} in ${runtime.sources.map((s) => s.name).join(', ')}...`);
    const found = await lookupPaper(id, runtime.sources, {
      log,
      timeoutMs: config.SYNTH_SOURCE_TIMEOUT_MS,
      secrets: secretValues(config),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    if (found.status === 'not-found') throw new SynthError('not_found', found.message);
    if (found.status === 'failed') {
      const allFailed = found.attempts.every((a) => a.outcome === 'failed');
      throw new SynthError(allFailed ? 'all_sources_failed' : 'not_found', found.message);
    }
    say(found.message);

    const printer = options.quiet ? undefined : createProgressPrinter(io.stderr, Boolean(io.stderr.isTTY));
    const result = await addPaper(report, found.paper, {
      engine: runtime.engine,
      requested: text,
      source: found.source,
      ...(options.maxClaims !== undefined ? { maxClaims: options.maxClaims } : {}),
      ...(printer ? { onEvent: printer } : {}),
      log,
      secrets: secretValues(config),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    tell(describeChanges(result.diff));
    await writeReport(result.report, options, io);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr);
  } finally {
    await stores?.close();
  }
}
