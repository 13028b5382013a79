/**
 * The files every platform attaches to an answer: the full report as Markdown and JSON, and its
 * references as BibTeX (when they render). Named after the report's short id.
 */
import type { Logger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { renderBibtex } from '../../src/render/bibtex.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';

/** One attached file. */
export interface ReportFile {
  name: string;
  title: string;
  contentType: string;
  content: string;
}

/** The answer's files; a BibTeX failure leaves that file out and is logged. */
export async function reportFiles(report: Report, log?: Logger): Promise<ReportFile[]> {
  const base = `synthesis-${report.id.slice(0, 8)}`;
  const files: ReportFile[] = [
    { name: `${base}.md`, title: 'Full report (Markdown)', contentType: 'text/markdown', content: renderMarkdown(report) },
    { name: `${base}.json`, title: 'Full report (JSON)', contentType: 'application/json', content: renderJson(report) },
  ];
  const bib = await renderBibtex(report.references).catch((error: unknown) => {
    log?.warn({ err: error, reportId: report.id }, 'could not render BibTeX');
    return '';
  });
  if (bib) files.push({ name: `${base}.bib`, title: 'References (BibTeX)', contentType: 'application/x-bibtex', content: bib });
  return files;
}
