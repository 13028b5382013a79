/** The after-the-fact checks of a limit (`src/limits/check.ts`) the tests and the benchmark use. */
import { describe, expect, it } from 'vitest';
import { checkSpacing, maxInFlight } from '../../src/limits/check.js';

describe('checkSpacing', () => {
  it('finds the smallest gap and each start that came too soon, in any order', () => {
    expect(checkSpacing([400, 0, 190, 205], 200, 2)).toEqual({
      count: 4,
      smallestGapMs: 15,
      violations: [
        { index: 1, gapMs: 190 },
        { index: 2, gapMs: 15 },
        { index: 3, gapMs: 195 },
      ],
    });
  });

  it('accepts gaps within the tolerance, and has nothing to say about fewer than two starts', () => {
    expect(checkSpacing([0, 199, 400], 200, 2).violations).toEqual([]);
    expect(checkSpacing([5], 200)).toEqual({ count: 1, smallestGapMs: Infinity, violations: [] });
  });
});

describe('maxInFlight', () => {
  it('counts overlapping calls, a call ending as another starts not overlapping it', () => {
    expect(maxInFlight([])).toBe(0);
    expect(
      maxInFlight([
        { start: 0, end: 10 },
        { start: 10, end: 20 },
      ]),
    ).toBe(1);
    expect(
      maxInFlight([
        { start: 0, end: 30 },
        { start: 5, end: 10 },
        { start: 8, end: 40 },
        { start: 31, end: 35 },
      ]),
    ).toBe(3);
  });
});
