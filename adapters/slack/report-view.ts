/**
 * The answer message in Block Kit: title, the direct answer with its citations, quality and reviewer
 * scores, the references the answer cites, then one page of claims (one line each, expandable to the
 * evidence) with "More claims" paging. The block count is bounded by construction:
 * {@link MAX_REPORT_BLOCKS} <= 50 whatever the report holds.
 */
import type { Report } from '../../src/model.js';
import { bottomLine } from '../../src/render/bottom-line.js';
import { ACTION, pageValue } from './actions.js';
import { citedNumbers, claimDetails, claimLine, fitLines, indexReferences, longCite, MAX_BLOCKS_PER_CLAIM, referenceUrl } from './claim-view.js';
import { LIMITS } from './limits.js';
import { link, mrkdwnShort, plainShort } from './mrkdwn.js';
import type { SlackMessage } from './progress-view.js';

/** Which page of claims a message shows and which claims are expanded. */
export interface ReportView {
  page: number;
  expanded: readonly string[];
}

/** Claims shown per page. */
export const CLAIMS_PER_PAGE = 8;

/** Blocks outside the claims: header, answer, scores, references, divider, claims heading, paging, footer. */
const FIXED_BLOCKS = 8;

/** The most blocks a report message can have. */
export const MAX_REPORT_BLOCKS = FIXED_BLOCKS + CLAIMS_PER_PAGE * MAX_BLOCKS_PER_CLAIM;
if (MAX_REPORT_BLOCKS > LIMITS.blocks) throw new Error('report view: page size breaks the 50-block limit');

/** Number of claim pages (at least 1). */
export function pageCount(report: Report): number {
  return Math.max(1, Math.ceil(report.claims.length / CLAIMS_PER_PAGE));
}

/** The page that shows a claim, or undefined for an unknown claim id. */
export function pageOfClaim(report: Report, claimId: string): number | undefined {
  const index = report.claims.findIndex((c) => c.id === claimId);
  return index < 0 ? undefined : Math.floor(index / CLAIMS_PER_PAGE);
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });

function scoresLine(report: Report): string {
  const reviewers = report.reviews.slice(0, 10).map((r) => `${mrkdwnShort(r.reviewer, 40)} ${r.score}`).join(' · ');
  const m = report.methodology;
  const sources = m.sources
    .filter((s) => s.status !== 'skipped')
    .slice(0, 10)
    .map((s) => `${mrkdwnShort(s.name, 40)} ${s.status === 'ok' ? s.found : s.status}`)
    .join(', ');
  return (
    `*Quality ${report.qualityScore}/10*${reviewers ? ` (${reviewers})` : ''}\n` +
    `${m.identified} found → ${m.deduplicated} unique → ${m.screened} screened → ${m.included} included` +
    `${sources ? ` · ${sources}` : ''}`
  );
}

function referencesSection(report: Report): Record<string, unknown> {
  const refs = indexReferences(report);
  const cited = citedNumbers(report.abstract).filter((n) => n >= 1 && n <= report.references.length);
  const numbers = cited.length > 0 ? cited : report.references.slice(0, 5).map((_, i) => i + 1);
  const lines = numbers.map((n) => {
    const entry = refs.get(report.references[n - 1]!.id)!;
    return link(referenceUrl(entry.ref), longCite(entry, 160));
  });
  const heading = cited.length > 0 ? '*Cited in the answer*' : '*References*';
  const body = lines.length
    ? fitLines(lines, LIMITS.sectionText - heading.length - 1, (left) => `_…and ${left} more in the attached report._`)
    : 'No references.';
  return { type: 'section', text: mrkdwn(`${heading}\n${body}`) };
}

/** Renders the report message for a view (the page is clamped to the pages that exist). */
export function reportMessage(report: Report, view: ReportView = { page: 0, expanded: [] }): SlackMessage {
  const pages = pageCount(report);
  const page = Math.min(Math.max(0, view.page), pages - 1);
  const refs = indexReferences(report);
  const line = bottomLine(report.answer);
  // The bottom line leads: "Answer: Yes (medium confidence)", then the answer with its citations.
  const answerHeading = line ? `*Answer: ${line}*\n` : '*Answer*\n';
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: plainShort(report.title, LIMITS.header) } },
    { type: 'section', text: mrkdwn(`${answerHeading}${mrkdwnShort(report.abstract, LIMITS.sectionText - answerHeading.length)}`) },
    { type: 'context', elements: [mrkdwn(scoresLine(report))] },
    referencesSection(report),
    { type: 'divider' },
  ];

  const first = page * CLAIMS_PER_PAGE;
  const claims = report.claims.slice(first, first + CLAIMS_PER_PAGE);
  const range = report.claims.length > CLAIMS_PER_PAGE ? ` ${first + 1}–${first + claims.length} of ${report.claims.length}` : '';
  blocks.push({
    type: 'section',
    text: mrkdwn(
      report.claims.length === 0
        ? '*Claims*\nNo claims could be extracted from the included papers.'
        : `*Claims*${range} · verdict · confidence · claim · source`,
    ),
  });
  claims.forEach((claim, i) => {
    const expanded = view.expanded.includes(claim.id);
    blocks.push(claimLine(report, claim, i, first + i + 1, expanded, refs));
    if (expanded) blocks.push(...claimDetails(claim, first + i + 1, refs));
  });

  if (pages > 1) {
    const elements: Record<string, unknown>[] = [];
    if (page > 0) {
      elements.push({ type: 'button', action_id: `${ACTION.page}:prev`, text: { type: 'plain_text', text: 'Previous claims' }, value: pageValue(report.id, page - 1) });
    }
    if (page < pages - 1) {
      const next = Math.min(report.claims.length, (page + 2) * CLAIMS_PER_PAGE);
      elements.push({
        type: 'button',
        action_id: `${ACTION.page}:next`,
        text: { type: 'plain_text', text: `More claims (${(page + 1) * CLAIMS_PER_PAGE + 1}–${next} of ${report.claims.length})` },
        value: pageValue(report.id, page + 1),
      });
    }
    blocks.push({ type: 'actions', elements });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`Report \`${mrkdwnShort(report.id, 80)}\` · ${mrkdwnShort(report.methodology.engine, 40)} engine · the full report (Markdown, BibTeX) is attached below`)],
  });
  return { text: `Answer: ${mrkdwnShort(report.title, 200)}`, blocks };
}
