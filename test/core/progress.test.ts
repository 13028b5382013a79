import { describe, expect, it } from 'vitest';
import type { ProgressEvent, ProgressEventInput } from '../../src/events.js';
import { createProgressTracker, renderProgressLines } from '../../src/progress.js';
import { createProgressPrinter, plainLine } from '../../src/cli/progress-printer.js';

const stamp = (events: ProgressEventInput[]): ProgressEvent[] => events.map((e, i) => ({ ...e, runId: 'r', elapsedMs: i * 100 }) as ProgressEvent);

const events = stamp([
  { type: 'run-started', question: 'Q?' },
  { type: 'stage-started', stage: 'plan' },
  { type: 'stage-finished', stage: 'plan', ms: 3, counts: { terms: 5, keyTerms: 4 } },
  { type: 'stage-started', stage: 'search' },
  { type: 'source-started', source: 'openalex' },
  { type: 'source-started', source: 'arxiv' },
  { type: 'source-finished', source: 'openalex', status: 'ok', found: 25, ms: 310 },
  { type: 'source-finished', source: 'arxiv', status: 'failed', found: 0, error: 'HTTP 503', ms: 800 },
  { type: 'stage-finished', stage: 'search', ms: 812, counts: { identified: 25 } },
  { type: 'stage-started', stage: 'verify' },
  { type: 'stage-progress', stage: 'verify', done: 3, total: 8, detail: 'claim 3 of 8' },
]);

describe('progress snapshots', () => {
  it('folds events into one line per started stage with counts and times', () => {
    const tracker = createProgressTracker();
    for (const e of events) tracker.apply(e);
    expect(renderProgressLines(tracker.snapshot())).toEqual([
      '✓ Planning the search: 4 key terms (0.0 s)',
      '✓ Searching: openalex 25, arxiv failed (HTTP 503) (0.8 s)',
      '… Verifying claims: claim 3 of 8',
    ]);
    expect(tracker.snapshot().elapsedMs).toBe(1000);
  });

  it('shows a queue position until the run starts, and the outcome at the end', () => {
    const tracker = createProgressTracker();
    tracker.apply({ type: 'run-queued', runId: 'r', elapsedMs: 0, position: 2 });
    expect(renderProgressLines(tracker.snapshot())).toEqual(['Queued (position 2)']);
    tracker.apply({ type: 'run-failed', runId: 'r', elapsedMs: 5, code: 'all_sources_failed', message: 'Every source failed.' });
    expect(tracker.snapshot().failed).toEqual({ code: 'all_sources_failed', message: 'Every source failed.' });
  });
});

describe('terminal progress', () => {
  it('prints one plain line per event when not a TTY', () => {
    let out = '';
    const print = createProgressPrinter({ write: (s: string) => (out += s) }, false);
    for (const e of events) print(e);
    expect(out.trim().split('\n')).toHaveLength(events.length);
    expect(plainLine(events[7]!)).toBe('[0.7s] search: arxiv failed (HTTP 503) (800 ms)');
  });

  it('rewrites the running stage in place on a TTY and keeps finished stages', () => {
    let out = '';
    const print = createProgressPrinter({ write: (s: string) => (out += s) }, true);
    for (const e of events) print(e);
    const screen = out.split('\n').map((l) => l.split('\r\x1b[K').at(-1));
    expect(screen).toEqual([
      '✓ Planning the search: 4 key terms (0.0 s)',
      '✓ Searching: openalex 25, arxiv failed (HTTP 503) (0.8 s)',
      '… Verifying claims: claim 3 of 8',
    ]);
  });
});
