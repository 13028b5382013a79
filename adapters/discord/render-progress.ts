/**
 * The progress message in the thread, edited in place: one line per stage started so far with its
 * counts and time (the wording shared with the CLI and Slack, from `src/progress.ts`), the elapsed
 * time, warnings, and the outcome. Always within Discord's 2,000-character content limit.
 */
import { renderProgressLines, type ProgressSnapshot } from '../../src/progress.js';
import { formatDuration } from './format.js';
import { escapeDiscord, joinLinesWithin, LIMITS } from './text.js';

/** The progress message's content for a snapshot, within `max` characters (default: Discord's 2,000). */
export function renderProgress(snapshot: ProgressSnapshot, max: number = LIMITS.content): string {
  const header =
    snapshot.failed?.code === 'cancelled'
      ? `**Cancelled** after ${formatDuration(snapshot.elapsedMs)}`
      : snapshot.failed
        ? `**Run failed** after ${formatDuration(snapshot.elapsedMs)}`
        : snapshot.finished
          ? `**Done** in ${formatDuration(snapshot.elapsedMs)}: ${snapshot.finished.claims} claim(s), quality ${snapshot.finished.qualityScore}/10. The answer follows.`
          : `**Working…** ${formatDuration(snapshot.elapsedMs)} elapsed`;
  // Done, the message collapses to its one line; a failure keeps its reason under it.
  if (snapshot.finished) return joinLinesWithin([header], max, (n) => `… ${n} more line(s)`);
  if (snapshot.failed) return joinLinesWithin([header, ...(snapshot.failed.message ? [`❌ ${escapeDiscord(snapshot.failed.message)}`] : [])], max, (n) => `… ${n} more line(s)`);
  const lines = renderProgressLines(snapshot).map((line) => escapeDiscord(line));
  if (lines.length === 0 && !snapshot.finished && !snapshot.failed) lines.push('Starting…');
  for (const warning of snapshot.warnings.slice(0, 5)) lines.push(`⚠️ ${escapeDiscord(warning)}`);
  return joinLinesWithin([header, ...lines], max, (n) => `… ${n} more line(s)`);
}
