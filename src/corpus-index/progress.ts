/**
 * How a corpus index build is shown: one line for a chat thread or a pipe ("Building the corpus index:
 * 12,000 of 50,000 abstracts, 4,100 a second, about 9 s left") and a bar for a terminal.
 */
import { basename } from 'node:path';
import type { IndexProgress } from './build.js';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function seconds(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  return `${Math.round(s / 60)} min`;
}

/** Rate (papers a second) and seconds left, once there is enough to estimate from. */
function pace(p: IndexProgress, now: number): { rate: number; left: number } | undefined {
  const elapsed = (now - p.startedAt) / 1000;
  if (p.done <= 0 || elapsed <= 0.2) return undefined;
  const rate = p.done / elapsed;
  return { rate, left: (p.total - p.done) / rate };
}

/** One line describing a build (or the wait for another process's), for progress events. */
export function describeIndexProgress(p: IndexProgress, now: number = performance.now()): string {
  if (p.phase === 'waiting') return `Waiting for another process that is building the corpus index (${seconds((now - p.startedAt) / 1000)})`;
  const speed = pace(p, now);
  const tail = speed && p.done < p.total ? `, ${count(speed.rate)} a second, about ${seconds(speed.left)} left` : '';
  return `Building the corpus index for ${basename(p.file)}: ${count(p.done)} of ${count(p.total)} abstracts${tail}`;
}

/** A terminal progress bar: `corpus.jsonl [#########-----------] 45% 22,500/50,000 4,100/s ETA 7 s`. */
export function indexProgressBar(p: IndexProgress, width = 24, now: number = performance.now()): string {
  if (p.phase === 'waiting') return describeIndexProgress(p, now);
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(fraction * width);
  const speed = pace(p, now);
  const rate = speed ? ` ${count(speed.rate)}/s` : '';
  const eta = speed && p.done < p.total ? ` ETA ${seconds(speed.left)}` : '';
  return `${basename(p.file)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${count(p.done)}/${count(p.total)}${rate}${eta}`;
}
