/** Parsing lists of live source names (`SYNTH_SOURCES`, `--sources`). */
import { LIVE_SOURCE_NAMES, type LiveSourceName } from '../model.js';

/** Parses a comma list of live source names, or `none`; unknown names are returned, not dropped. */
export function parseSourceNames(value: string): { names: LiveSourceName[]; unknown: string[] } {
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 1 && names[0] === 'none') return { names: [], unknown: [] };
  const unknown = names.filter((n) => !(LIVE_SOURCE_NAMES as readonly string[]).includes(n));
  const known = names.filter((n) => (LIVE_SOURCE_NAMES as readonly string[]).includes(n)) as LiveSourceName[];
  return { names: [...new Set(known)], unknown };
}

/** How to write a valid list, for error messages. */
export const SOURCE_LIST_HINT = `a comma list of ${LIVE_SOURCE_NAMES.join(', ')}, or none`;
