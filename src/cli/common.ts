/**
 * What the CLI's commands share: exit codes, option parsers, the one-line error report and the way a
 * report is written out.
 */
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { CoreConfig } from '../config.js';
import { asSynthError, SynthError } from '../errors.js';
import type { Report } from '../model.js';
import { renderJson } from '../render/json.js';
import { renderMarkdown } from '../render/markdown.js';
import { terminalSafe } from '../text/sanitize.js';
import type { TextSink } from './progress-printer.js';

/** Exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** Parses a whole number from 1 to `max` for the option `name`. */
export const positiveInt = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}.`);
  return n;
};

/** Parses a four-digit year. */
export const year = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1000 || n > 2100) throw new InvalidArgumentError('must be a four-digit year.');
  return n;
};

/** The log level of the CLI: its JSON log only speaks up for errors unless LOG_LEVEL asks for more than the default. */
export function cliLogLevel(config: CoreConfig): CoreConfig['LOG_LEVEL'] {
  // The CLI reports progress, warnings and failures itself.
  return config.LOG_LEVEL === 'info' ? 'error' : config.LOG_LEVEL;
}

/** Prints a one-line reason and maps the error to an exit code. */
export function reportError(error: unknown, stderr: TextSink): number {
  const e = asSynthError(error);
  const usage = e.code === 'usage' || e.code === 'config';
  // One line: the reason, and for unreachable sources how to work without a network.
  const hint =
    e.code === 'all_sources_failed' && /connection failed/.test(e.message)
      ? ' Without internet access, search a local corpus with --offline --corpus FILE.'
      : '';
  stderr.write(`synthesize: ${terminalSafe(e.message).replace(/\s+/g, ' ')}${hint}\n`);
  if (usage) stderr.write('(run synthesize --help for usage)\n');
  return usage ? EXIT.usage : EXIT.failed;
}

/** Writes the report as Markdown or JSON to `out`, or to stdout (terminal-safe). */
export async function writeReport(
  report: Report,
  options: { format: 'markdown' | 'json'; out?: string | undefined; quiet?: boolean | undefined },
  io: { stdout: TextSink; stderr: TextSink },
): Promise<void> {
  const text = options.format === 'json' ? renderJson(report) : renderMarkdown(report);
  if (options.out) {
    try {
      await writeFile(options.out, text);
    } catch (error) {
      throw new SynthError('internal', `Cannot write ${options.out}: ${(error as Error).message}`, { cause: error });
    }
    if (!options.quiet) io.stderr.write(`Report written to ${options.out}\n`);
  } else {
    // Everything in the report is escaped by its renderer; this is the last guard before the terminal.
    io.stdout.write(terminalSafe(text));
  }
}
