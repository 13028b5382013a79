/** The report's findings as a Markdown table: Subject | Measure | Value | Condition | Source. */
import type { Finding } from '../model.js';
import { escapeCell } from './escape.js';

/**
 * Markdown lines of a findings table, one row per finding in the given order. Subject, measure, value
 * and condition come from papers and are escaped with `escapeCell`; `cite` is the caller's own markup
 * (`[3]`) and is inserted as it is. No findings, no lines.
 */
export function renderFindingsTable(findings: readonly Finding[], cite: (paperId: string) => string): string[] {
  if (findings.length === 0) return [];
  const rows = findings.map(
    (f) => `| ${escapeCell(f.subject)} | ${escapeCell(f.measure)} | ${escapeCell(f.value)} | ${f.condition ? escapeCell(f.condition) : ''} | ${cite(f.paperId)} |`,
  );
  return ['| Subject | Measure | Value | Condition | Source |', '|---|---|---|---|---|', ...rows];
}
