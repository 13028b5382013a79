/**
 * Progress on stderr. On a TTY: one live line per stage, rewritten in place while the stage runs and
 * kept when it finishes. Otherwise (a pipe, a log file, CI): one plain line per event.
 */
import type { ProgressEvent } from '../events.js';
import { createProgressTracker, describeStage, formatSeconds, renderProgressLines } from '../progress.js';
import { cleanText, terminalSafe } from '../text/sanitize.js';

/** Something to write text to. */
export interface TextSink {
  write(text: string): unknown;
}

/** Returns a listener that prints progress to `out`. */
export function createProgressPrinter(out: TextSink, isTTY: boolean): (event: ProgressEvent) => void {
  if (!isTTY) return (event) => out.write(`${plainLine(event)}\n`);
  // Event texts (a source's error, a warning) can carry a hostile server's escape bytes: each line is
  // made terminal-safe before the printer adds its own line rewrite.
  const tracker = createProgressTracker();
  let finishedLines = 0;
  let live = false;
  return (event) => {
    tracker.apply(event);
    const snapshot = tracker.snapshot();
    const lines = renderProgressLines(snapshot)
      .filter((l) => !l.startsWith('Queued'))
      .map(terminalSafe);
    const done = snapshot.stages.filter((s) => s.status !== 'pending');
    let text = live ? '\r\x1b[K' : '';
    // Stages finish in order, so finished lines are a prefix of `lines`.
    const finished = done.filter((s) => s.status === 'done').length;
    for (let i = finishedLines; i < finished; i++) text += `${lines[i]}\n`;
    finishedLines = finished;
    const running = lines[finished];
    live = running !== undefined && (event.type !== 'run-finished' && event.type !== 'run-failed');
    if (live) text += running;
    if (event.type === 'warning') text += `${live ? '\n' : ''}! ${terminalSafe(cleanText(event.message))}\n`;
    out.write(text);
  };
}

/** One plain line describing one event, with no control character (safe for a terminal). */
export function plainLine(event: ProgressEvent): string {
  return terminalSafe(describeEvent(event));
}

function describeEvent(event: ProgressEvent): string {
  const t = `[${formatSeconds(event.elapsedMs).replace(' ', '')}]`;
  switch (event.type) {
    case 'run-queued':
      return `${t} queued at position ${event.position}`;
    case 'run-started':
      return `${t} researching: ${cleanText(event.question)}`;
    case 'stage-started':
      return `${t} ${event.stage}: started`;
    case 'source-started':
      return `${t} search: ${event.source} started`;
    case 'source-finished':
      return `${t} search: ${event.source} ${event.status}${event.status === 'ok' ? `, ${event.found} records` : event.error ? ` (${event.error})` : ''} (${event.ms} ms)`;
    case 'stage-progress':
      return `${t} ${event.stage}: ${event.detail ?? `${event.done} of ${event.total}`}`;
    case 'stage-finished': {
      const detail = describeStage({ stage: event.stage, label: event.stage, status: 'done', counts: event.counts }, []);
      return `${t} ${event.stage}: done in ${event.ms} ms${detail && event.stage !== 'search' ? `, ${detail}` : `, ${JSON.stringify(event.counts)}`}`;
    }
    case 'warning':
      return `${t} warning: ${cleanText(event.message)}`;
    case 'run-finished':
      return `${t} finished: ${event.claims} claims, quality ${event.qualityScore}/10`;
    case 'run-failed':
      return `${t} failed: ${event.message}`;
  }
}
