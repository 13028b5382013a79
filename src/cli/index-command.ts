/**
 * `synthesize index build|status|drop --corpus F`: the persistent corpus index by hand. A run builds
 * or extends it anyway when it needs to; `build` does it ahead of time with a progress bar, `status`
 * says per file whether the index is current (and `--check` verifies the whole file), `drop` removes
 * files from it (or, without `--corpus`, deletes the index file).
 */
import type { Command } from 'commander';
import { corpusIndexDir, loadConfig } from '../config.js';
import { openCorpusIndex, type IndexProgress } from '../corpus-index/corpus-index.js';
import { indexPath, removeIndexFile } from '../corpus-index/database.js';
import { describeIndexProgress, indexProgressBar } from '../corpus-index/progress.js';
import { UsageError } from '../errors.js';
import { terminalSafe } from '../text/sanitize.js';
import { collect, EXIT, reportError } from './common.js';
import type { CliIo } from './main.js';

interface IndexOptions {
  corpus: string[];
  indexDir?: string;
  check?: boolean;
  quiet?: boolean;
}

const megabytes = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

/** Where the index is: `--index-dir`, else the configuration's (`SYNTH_INDEX_DIR`, beside the store). */
function resolveDir(options: IndexOptions, io: CliIo): { dir: string; corpus: string[] } {
  const config = loadConfig(io.env);
  const dir = options.indexDir ?? corpusIndexDir(config) ?? '.synthesize';
  return { dir, corpus: options.corpus.length > 0 ? options.corpus : config.SYNTH_CORPUS };
}

/** A progress printer: a bar rewritten in place on a terminal, a line every 10% elsewhere. */
function progressPrinter(io: CliIo, quiet: boolean | undefined): { update: (p: IndexProgress) => void; done: () => void } {
  if (quiet) return { update: () => {}, done: () => {} };
  const tty = Boolean(io.stderr.isTTY);
  let lastDraw = 0;
  let lastTenth = -1;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      if (tty) {
        if (now - lastDraw < 100 && p.done < p.total) return;
        lastDraw = now;
        io.stderr.write(`\r\x1b[K${terminalSafe(indexProgressBar(p, 24, now))}`);
        drawn = true;
        return;
      }
      const tenth = p.phase === 'waiting' ? -2 : Math.floor((p.total > 0 ? p.done / p.total : 1) * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      io.stderr.write(`${terminalSafe(describeIndexProgress(p, now))}\n`);
    },
    done() {
      if (drawn) io.stderr.write('\n');
      drawn = false;
      lastTenth = -1;
    },
  };
}

/** Adds the `index` command to the program. */
export function registerIndexCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const index = program.command('index').description('build, inspect or drop the persistent corpus index');
  const common = (command: Command) =>
    command
      .option('--corpus <path>', 'a corpus file, JSONL or JSONL.gz (repeatable; default SYNTH_CORPUS)', collect, [] as string[])
      .option('--index-dir <dir>', 'directory of the index (default SYNTH_INDEX_DIR, or beside the store)');
  const fail = (error: unknown) => setExit(reportError(error, io.stderr));

  common(index.command('build').description('index the corpus files now (new, appended or changed ones only)'))
    .option('-q, --quiet', 'no progress bar')
    .action(async (options: IndexOptions) => {
      try {
        const { dir, corpus } = resolveDir(options, io);
        if (corpus.length === 0) throw new UsageError('index build: give --corpus FILE (or set SYNTH_CORPUS).');
        const started = performance.now();
        const progress = progressPrinter(io, options.quiet);
        const result = await openCorpusIndex(dir).ensure(corpus, (p) => progress.update(p));
        progress.done();
        for (const note of result.notes) io.stderr.write(`${terminalSafe(note)}\n`);
        for (const failure of result.failed) io.stderr.write(`${terminalSafe(failure.message)}\n`);
        const papers = result.files.reduce((n, f) => n + f.papers, 0);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const what = result.buildMs > 0 ? `indexed in ${seconds} s` : 'already current';
        io.stdout.write(`${terminalSafe(indexPath(dir))}: ${papers.toLocaleString('en-US')} papers from ${result.files.length} file(s), ${what}.\n`);
        setExit(result.failed.length > 0 ? EXIT.failed : EXIT.ok);
      } catch (error) {
        fail(error);
      }
    });

  common(index.command('status').description('say per corpus file whether the index is current'))
    .option('--check', "also verify the whole index file (SQLite's quick check; reads all of it)")
    .action(async (options: IndexOptions) => {
      try {
        const { dir, corpus } = resolveDir(options, io);
        const status = await openCorpusIndex(dir).status(corpus, Boolean(options.check));
        io.stdout.write(`${terminalSafe(indexPath(dir))}: ${megabytes(status.bytes)}${status.integrity ? `, integrity ${status.integrity}` : ''}\n`);
        for (const f of status.files) {
          const detail = f.message ?? `${f.papers.toLocaleString('en-US')} papers in ${f.segments} segment(s)`;
          io.stdout.write(`  ${terminalSafe(f.path)}: ${f.state} (${terminalSafe(detail)})\n`);
        }
        const unhealthy = status.integrity !== undefined && status.integrity !== 'ok';
        setExit(unhealthy ? EXIT.failed : EXIT.ok);
      } catch (error) {
        fail(error);
      }
    });

  common(index.command('drop').description('remove corpus files from the index; without --corpus, delete the index file'))
    .action(async (options: IndexOptions) => {
      try {
        const config = loadConfig(io.env);
        const dir = options.indexDir ?? corpusIndexDir(config) ?? '.synthesize';
        if (options.corpus.length === 0) {
          const path = indexPath(dir);
          removeIndexFile(path);
          io.stdout.write(`Deleted ${terminalSafe(path)}.\n`);
        } else {
          const dropped = await openCorpusIndex(dir).drop(options.corpus);
          io.stdout.write(`Dropped ${dropped} of ${options.corpus.length} file(s) from ${terminalSafe(indexPath(dir))}.\n`);
        }
        setExit(EXIT.ok);
      } catch (error) {
        fail(error);
      }
    });
}
