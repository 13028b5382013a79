/**
 * The answer message in Block Kit, readable at a glance: the bottom line with its verdict badge as the
 * header, the asker mentioned with the answer and its citations, the title with quality and reviewer
 * scores, the references the answer cites (linked), then the top claims (one line each, with an
 * Evidence button that answers the clicker only) and "All claims (N)", which pages through every claim. The block count is bounded by construction:
 * {@link MAX_REPORT_BLOCKS} <= 50 whatever the report holds.
 */
import type { Claim, Report } from '../../src/model.js';
import { answerLine, followUpLine, INLINE_CLAIMS, inlineClaims, THREAD_HINT } from '../shared/glance.js';
import { ACTION, pageValue } from './actions.js';
import { citedNumbers, claimLine, fitLines, indexReferences, longCite, MAX_BLOCKS_PER_CLAIM, referenceUrl } from './claim-view.js';
import { LIMITS } from './limits.js';
import { isUserId, link, mentionUser, mrkdwnShort, plainShort } from './mrkdwn.js';
import type { SlackMessage } from './progress-view.js';

/** Which page of claims a message shows, and who asked (mentioned). */
export interface ReportView {
  /** 0: the answer at a glance with the top claims; from 1: every claim, {@link CLAIMS_PER_PAGE} a page. */
  page: number;
  /** The Slack user who asked; the answer mentions them. */
  askerId?: string;
  /** The report's page (`PUBLIC_URL`), linked as "Full report". */
  fullReportUrl?: string;
}

/** Claims shown per page of the full list. */
export const CLAIMS_PER_PAGE = 8;

/** Blocks outside the claims: header, answer, scores, references, divider, claims heading, paging, footer. */
const FIXED_BLOCKS = 8;

/** The most blocks a report message can have. */
export const MAX_REPORT_BLOCKS = FIXED_BLOCKS + CLAIMS_PER_PAGE * MAX_BLOCKS_PER_CLAIM;
if (MAX_REPORT_BLOCKS > LIMITS.blocks) throw new Error('report view: page size breaks the 50-block limit');

/** Number of pages: the glance, then the full list when there are more claims than the glance shows. */
export function pageCount(report: Report): number {
  return report.claims.length > INLINE_CLAIMS ? 1 + Math.ceil(report.claims.length / CLAIMS_PER_PAGE) : 1;
}

/** The claims a page shows. */
function claimsOnPage(report: Report, page: number): Claim[] {
  if (page === 0) return inlineClaims(report);
  return report.claims.slice((page - 1) * CLAIMS_PER_PAGE, page * CLAIMS_PER_PAGE);
}

/**
 * The page to show a claim on: `current` when it already shows the claim, else the glance for a top
 * claim, else its page of the full list; undefined for an unknown claim id.
 */
export function pageOfClaim(report: Report, claimId: string, current?: number): number | undefined {
  const index = report.claims.findIndex((c) => c.id === claimId);
  if (index < 0) return undefined;
  if (current !== undefined && current < pageCount(report) && claimsOnPage(report, current).some((c) => c.id === claimId)) return current;
  if (inlineClaims(report).some((c) => c.id === claimId)) return 0;
  return 1 + Math.floor(index / CLAIMS_PER_PAGE);
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

function referencesSection(report: Report, answerText: string): Record<string, unknown> {
  const refs = indexReferences(report);
  const cited = citedNumbers(answerText).filter((n) => n >= 1 && n <= report.references.length);
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

function claimsHeading(report: Report, page: number, shown: number): string {
  const n = report.claims.length;
  if (n === 0) return '*Claims*\nNo claims could be extracted from the included papers.';
  const columns = ' · verdict · confidence · claim · source';
  if (page === 0) return n > shown ? `*Top claims* (${shown} of ${n})${columns}` : `*Claims*${columns}`;
  const first = (page - 1) * CLAIMS_PER_PAGE;
  return `*All claims* ${first + 1}–${first + shown} of ${n}${columns}`;
}

function pagingButtons(report: Report, page: number, pages: number): Record<string, unknown>[] {
  const n = report.claims.length;
  const button = (suffix: string, text: string, to: number) => ({
    type: 'button',
    action_id: `${ACTION.page}:${suffix}`,
    text: { type: 'plain_text', text },
    value: pageValue(report.id, to),
  });
  if (page === 0) return [button('all', `All claims (${n})`, 1)];
  const elements = [button('prev', page === 1 ? 'Top claims' : 'Previous claims', page - 1)];
  if (page < pages - 1) {
    const next = Math.min(n, (page + 1) * CLAIMS_PER_PAGE);
    elements.push(button('next', `More claims (${page * CLAIMS_PER_PAGE + 1}–${next} of ${n})`, page + 1));
  }
  return elements;
}

/**
 * Renders the report message for a view (the page is clamped to the pages that exist). The header is
 * the bottom line with its badge, and so is the fallback `text` that notifications and screen readers
 * use; the answer mentions the asker; report ids appear only in button values.
 */
export function reportMessage(report: Report, view: ReportView = { page: 0 }): SlackMessage {
  const pages = pageCount(report);
  const page = Math.min(Math.max(0, view.page), pages - 1);
  const refs = indexReferences(report);
  const line = answerLine(report);
  const mention = view.askerId && isUserId(view.askerId) ? `${mentionUser(view.askerId)} ` : '';
  const answerText = report.answer?.text || report.abstract;
  const answerHeading = line ? '' : '*Answer*\n';
  const title = mrkdwnShort(report.title, 300);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: plainShort(line ?? report.title, LIMITS.header), emoji: true } },
    { type: 'section', text: mrkdwn(`${answerHeading}${mention}${mrkdwnShort(answerText, LIMITS.sectionText - answerHeading.length - mention.length)}`) },
    { type: 'context', elements: [mrkdwn(`${followUpLine(report) ? `${mrkdwnShort(followUpLine(report)!, 400)}\n` : line ? `${title}\n` : ''}${scoresLine(report)}`)] },
    referencesSection(report, answerText),
    { type: 'divider' },
  ];

  const claims = claimsOnPage(report, page);
  blocks.push({ type: 'section', text: mrkdwn(claimsHeading(report, page, claims.length)) });
  claims.forEach((claim, i) => {
    const number = report.claims.indexOf(claim) + 1;
    blocks.push(claimLine(report, claim, i, number, refs));
  });

  if (pages > 1) blocks.push({ type: 'actions', elements: pagingButtons(report, page, pages) });
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `${mrkdwnShort(report.methodology.engine, 40)} engine · ${view.fullReportUrl ? `${link(view.fullReportUrl, 'Full report')} · ` : ''}the full report (Markdown, JSON, BibTeX) is attached below\n${mrkdwnShort(THREAD_HINT, 200)}`,
      ),
    ],
  });
  // What notifications and screen readers get: the bottom line first, then what was asked and by whom.
  const asked = `“${mrkdwnShort(report.question, 200)}”${mention ? `, asked by ${mention.trim()}` : ''}`;
  const text = line ? `${line} · ${asked}` : `Answer: ${asked}`;
  return { text, blocks };
}
