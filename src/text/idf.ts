/**
 * How specific a term is: inverse document frequency against a background collection (the SciFact
 * corpus's most common stems, `term-stats.ts`), so that "risk", "model" or "accuracy" weigh little
 * and "fracture", "risedronate" or "BigCodeBench" weigh a lot, whatever few papers were retrieved.
 */
import { BACKGROUND_DF_PACKED, BACKGROUND_DOCS } from './term-stats.js';
import { terms } from './tokens.js';

let table: Map<string, number> | undefined;

function backgroundDf(): Map<string, number> {
  if (!table) {
    table = new Map();
    for (const pair of BACKGROUND_DF_PACKED.split(' ')) {
      const at = pair.lastIndexOf(':');
      table.set(pair.slice(0, at), Number(pair.slice(at + 1)));
    }
  }
  return table;
}

/** Highest IDF: a stem absent from the background table (rarer than every listed stem). */
export const MAX_IDF = Math.log((BACKGROUND_DOCS + 1) / 2.5);

/** IDF of one stem against the background collection: ln((N + 1) / (df + 0.5)). */
export function stemIdf(stem: string): number {
  const df = backgroundDf().get(stem);
  if (df === undefined) return /^\d/.test(stem) ? MAX_IDF / 2 : MAX_IDF;
  return Math.log((BACKGROUND_DOCS + 1) / (df + 0.5));
}

/** IDF of a term or phrase: that of its most specific stem (0 when it has none). */
export function termIdf(term: string): number {
  return terms(term).reduce((best, s) => Math.max(best, stemIdf(s)), 0);
}
