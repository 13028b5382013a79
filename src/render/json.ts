/** The report as JSON: exactly the Report contract of DESIGN.md (schema version 1). */
import { ReportSchema, type Report } from '../model.js';

/**
 * Serialises a report, validating it against the contract first (a bug here must not ship bad JSON).
 * `JSON.stringify` escapes C0 controls but writes DEL and the C1 controls (U+0080–U+009F, which some
 * terminals obey as escape sequences) as they are; they are written as `\u` escapes too, which is the
 * same JSON, so a report printed to a terminal carries no control character.
 */
export function renderJson(report: Report): string {
  const text = JSON.stringify(ReportSchema.parse(report), null, 2);
  return `${text.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
