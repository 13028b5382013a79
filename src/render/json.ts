/** The report as JSON: exactly the Report contract of DESIGN.md (schema version 1). */
import { ReportSchema, type Report } from '../model.js';

/** Serialises a report, validating it against the contract first (a bug here must not ship bad JSON). */
export function renderJson(report: Report): string {
  return `${JSON.stringify(ReportSchema.parse(report), null, 2)}\n`;
}
