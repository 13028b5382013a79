/**
 * What the thread contract tests (follow-ups, flags, adding a paper) share: harnesses and stores closed
 * after each test, newest first, and the reports a store holds.
 */
import { afterEach } from 'vitest';
import type { Report } from '../../src/model.js';
import { createStores, type Stores } from '../../src/store/store.js';

/** Things a test opened; closed after it, newest first. Call once per file. */
export function useOpened(): { open: { close(): Promise<void> }[]; sharedStores(): Promise<Stores> } {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const h of open.splice(0).reverse()) await h.close();
  });
  return {
    open,
    /** Memory stores several harnesses can share (a restart), closed after the test. */
    async sharedStores() {
      const stores = await createStores('memory://');
      open.push({ close: () => stores.close() });
      return stores;
    },
  };
}

/** Every report in a store. */
export async function reports(stores: Stores): Promise<Report[]> {
  const all: Report[] = [];
  for await (const [, value] of stores.reports.iterator!(undefined)) all.push(value as Report);
  return all;
}
