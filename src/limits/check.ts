/**
 * Checking a log of calls against a limit, after the fact: the tests and the benchmark use these to
 * show that a limit held (smallest gap between starts, most calls in flight) rather than trusting
 * the limiter that was meant to enforce it.
 */

/** What {@link checkSpacing} found. */
export interface SpacingReport {
  /** Starts examined. */
  count: number;
  /** Smallest gap between two consecutive starts in ms (`Infinity` with fewer than two starts). */
  smallestGapMs: number;
  /** Consecutive starts closer than allowed: the later start's index (in time order) and the gap. */
  violations: Array<{ index: number; gapMs: number }>;
}

/**
 * Gaps between consecutive request starts (any order, any clock in ms) against `minIntervalMs`. A gap
 * counts as a violation when it is shorter than `minIntervalMs - toleranceMs`; the tolerance is for
 * timer granularity only.
 */
export function checkSpacing(starts: readonly number[], minIntervalMs: number, toleranceMs = 0): SpacingReport {
  const sorted = [...starts].sort((a, b) => a - b);
  let smallestGapMs = Infinity;
  const violations: SpacingReport['violations'] = [];
  for (let i = 1; i < sorted.length; i++) {
    const gapMs = sorted[i]! - sorted[i - 1]!;
    smallestGapMs = Math.min(smallestGapMs, gapMs);
    if (gapMs < minIntervalMs - toleranceMs) violations.push({ index: i, gapMs });
  }
  return { count: sorted.length, smallestGapMs, violations };
}

/** The most calls in flight at once, from each call's start and end (any clock in ms). */
export function maxInFlight(calls: ReadonlyArray<{ start: number; end: number }>): number {
  // An end at the same instant as a start is counted first: the slot was free by then.
  const events = calls.flatMap((c) => [{ at: c.start, delta: 1 }, { at: c.end, delta: -1 }]).sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const event of events) {
    current += event.delta;
    most = Math.max(most, current);
  }
  return most;
}
