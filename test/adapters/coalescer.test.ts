import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../adapters/shared/coalescer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the coalescer', () => {
  it('writes at most once per interval per key and always writes the latest state', async () => {
    const writes: [string, number, number][] = [];
    const started = Date.now();
    const c = createCoalescer<number>({
      intervalMs: 100,
      write: async (key, state) => void writes.push([key, state, Date.now() - started]),
    });
    for (let i = 1; i <= 20; i++) {
      c.push('a', i);
      c.push('b', i * 10);
      await sleep(10);
    }
    await Promise.all([c.flush('a'), c.flush('b')]);
    const a = writes.filter((w) => w[0] === 'a');
    expect(a.at(-1)![1]).toBe(20);
    expect(writes.filter((w) => w[0] === 'b').at(-1)![1]).toBe(200);
    // ~200 ms of pushes at one write per 100 ms: a handful of writes, not twenty.
    expect(a.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < a.length; i++) expect(a[i]![2] - a[i - 1]![2]).toBeGreaterThanOrEqual(95);
    c.close();
  });

  it('keeps writing after a failed write and reports the failure', async () => {
    const errors: unknown[] = [];
    const written: number[] = [];
    const c = createCoalescer<number>({
      intervalMs: 10,
      write: async (_key, state) => {
        if (state === 1) throw new Error('429');
        written.push(state);
      },
      onError: (e) => errors.push(e),
    });
    c.push('k', 1);
    c.push('k', 2);
    await c.flush('k');
    expect(errors).toHaveLength(1);
    expect(written).toEqual([2]);
    c.close();
  });
});
