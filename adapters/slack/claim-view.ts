/**
 * One claim in Block Kit: a one-line summary (verdict, confidence, source) with an "Evidence"
 * button, and the evidence message it opens for the person who clicks: the claim in full with its
 * verbatim quote, and the evidence for and against it from other papers. Every piece is shortened to a fixed budget, so each
 * section stays under Block Kit's 3,000 characters whatever the paper text.
 */
import type { Claim, Reference, Report } from '../../src/model.js';
import { confidenceWords, flaggedNote, quoteRepeatsClaim } from '../shared/glance.js';
import { referenceLink } from '../shared/reference-link.js';
import { ACTION, claimValue, FLAG_VIEW } from './actions.js';
import { LIMITS } from './limits.js';
import { link, mrkdwnShort, mrkdwnText, plainShort } from './mrkdwn.js';

type Block = Record<string, unknown>;

const VERDICT: Record<Claim['verification']['verdict'], { emoji: string; label: string }> = {
  supported: { emoji: ':white_check_mark:', label: 'supported' },
  contradicted: { emoji: ':x:', label: 'contradicted' },
  insufficient: { emoji: ':grey_question:', label: 'insufficient evidence' },
};

/** Blocks one claim takes in the answer: its line (the evidence is a separate, personal reply). */
export const MAX_BLOCKS_PER_CLAIM = 1;

/** Budgets, in characters after escaping. */
const BUDGET = { line: 180, fullClaim: 1000, quote: 1200, refLabel: 150, evidenceQuote: 400, evidenceLabel: 100 } as const;

/** Looks up references by paper id with their 1-based numbers (as cited in the answer). */
export interface ReferenceIndex {
  get(paperId: string): { ref: Reference; n: number } | undefined;
}

/** Builds the {@link ReferenceIndex} of a report. */
export function indexReferences(report: Report): ReferenceIndex {
  const map = new Map(report.references.map((ref, i) => [ref.id, { ref, n: i + 1 }]));
  return { get: (paperId) => map.get(paperId) };
}

/** The URL a reference links to (DOI, URL, PubMed, arXiv, …; see `referenceLink`). */
export function referenceUrl(ref: Reference): string | undefined {
  return referenceLink(ref);
}

/** ` · scifact:4983` for a reference without a link, so a corpus paper can still be found; else ''. */
function unlinkedId(ref: Reference): string {
  return referenceUrl(ref) ? '' : ` · ${mrkdwnShort(ref.id, 60)}`;
}

/** Short label for a reference: `[3] Smith 2019` (plus its id when it has no link). */
function shortCite(entry: { ref: Reference; n: number } | undefined): string {
  if (!entry) return '[?]';
  const author = entry.ref.authors[0]?.split(/[\s,]+/).filter(Boolean).at(entry.ref.authors[0]?.includes(',') ? 0 : -1);
  const who = [author, entry.ref.year].filter(Boolean).join(' ');
  return `[${entry.n}]${who ? ` ${mrkdwnShort(who, 40)}` : ''}${unlinkedId(entry.ref)}`;
}

/** Long label for a reference: `[3] Title (2019)` (plus its id when it has no link). */
export function longCite(entry: { ref: Reference; n: number } | undefined, max: number = BUDGET.refLabel): string {
  if (!entry) return '[?]';
  const year = entry.ref.year ? ` (${entry.ref.year})` : '';
  const id = unlinkedId(entry.ref);
  return `[${entry.n}] ${mrkdwnShort(entry.ref.title, Math.max(20, max - year.length - id.length - 6))}${year}${id}`;
}

/** The most characters of an `accessibility_label`. */
const A11Y_LABEL = 75;

/**
 * The claim's one-line summary (confidence in words; the number is in its evidence) with an "Evidence"
 * button whose accessibility label names the claim. The evidence goes to the person who clicks, only.
 */
export function claimLine(report: Report, claim: Claim, position: number, number: number, refs: ReferenceIndex): Block {
  const v = VERDICT[claim.verification.verdict];
  const source = refs.get(claim.paperId);
  const text =
    `*${number}.* ${v.emoji} ${v.label} · ${confidenceWords(claim.verification.confidence)} confidence · ${flaggedNote(claim) ? `${flaggedNote(claim)} · ` : ''}` +
    `${mrkdwnShort(claim.text, BUDGET.line)} ${link(source && referenceUrl(source.ref), shortCite(source))}`;
  return {
    type: 'section',
    text: { type: 'mrkdwn', text, verbatim: true },
    accessory: {
      type: 'button',
      action_id: `${ACTION.toggleClaim}:${position}`,
      text: { type: 'plain_text', text: 'Evidence' },
      value: claimValue(report.id, claim.id),
      accessibility_label: plainShort(`Evidence for claim ${number}: ${claim.text}`, A11Y_LABEL),
    },
  };
}

/**
 * The evidence of one claim, for the person who asked for it (an ephemeral reply): its line, then the
 * claim in full with its verbatim quote, and the evidence for and against it from other papers.
 */
export function evidenceMessage(report: Report, claim: Claim): { text: string; blocks: Block[] } {
  const refs = indexReferences(report);
  const number = report.claims.indexOf(claim) + 1;
  const v = VERDICT[claim.verification.verdict];
  const line = `*Claim ${number}* · ${v.emoji} ${v.label} · ${confidenceWords(claim.verification.confidence)} confidence`;
  return {
    text: `Evidence for claim ${number}: ${mrkdwnShort(claim.text, 200)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: line, verbatim: true } },
      ...claimDetails(claim, number, refs),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.flag,
            text: { type: 'plain_text', text: 'Flag this claim' },
            value: claimValue(report.id, claim.id),
            accessibility_label: plainShort(`Flag claim ${number} as wrong or doubtful`, A11Y_LABEL),
          },
        ],
      },
    ],
  };
}

/** The modal a flag opens: the claim, and an optional reason. */
export function flagModal(report: Report, claim: Claim): Record<string, unknown> {
  const number = report.claims.indexOf(claim) + 1;
  return {
    type: 'modal',
    callback_id: FLAG_VIEW,
    private_metadata: claimValue(report.id, claim.id),
    title: { type: 'plain_text', text: `Flag claim ${number}` },
    submit: { type: 'plain_text', text: 'Flag' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Claim ${number}:* ${mrkdwnShort(claim.text, 1500)}`, verbatim: true } },
      {
        type: 'input',
        block_id: 'reason',
        optional: true,
        label: { type: 'plain_text', text: 'Why? (optional)' },
        element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 1000 },
      },
    ],
  };
}

/**
 * Fits lines into `max` characters joined by newlines; lines that do not fit are replaced by a note
 * saying how many were left out.
 */
export function fitLines(lines: readonly string[], max: number, overflow: (left: number) => string): string {
  const kept: string[] = [];
  let length = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const note = i < lines.length - 1 ? overflow(lines.length - i - 1).length + 1 : 0;
    if (length + line.length + 1 + note > max) {
      kept.push(overflow(lines.length - i));
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

/** The two sections of a claim's evidence. */
export function claimDetails(claim: Claim, number: number, refs: ReferenceIndex): Block[] {
  const source = refs.get(claim.paperId);
  const from = link(source && referenceUrl(source.ref), longCite(source));
  // A claim that is its quote is shown once, as the quote.
  const quoteText = quoteRepeatsClaim(claim)
    ? `*Claim ${number}, verbatim* from ${from}:\n>${mrkdwnShort(claim.quote, BUDGET.quote)}`
    : `*Claim ${number} in full:* ${mrkdwnShort(claim.text, BUDGET.fullClaim)}\n*Verbatim quote* from ${from}:\n>${mrkdwnShort(claim.quote, BUDGET.quote)}`;
  const evidence = claim.verification.evidence.map((e) => {
    const entry = refs.get(e.paperId);
    const stance = e.stance === 'supports' ? ':large_green_circle: Supports' : ':red_circle: Contradicts';
    return `• ${stance} — ${link(entry && referenceUrl(entry.ref), longCite(entry, BUDGET.evidenceLabel))}: “${mrkdwnShort(e.quote, BUDGET.evidenceQuote)}”`;
  });
  const heading = `*Evidence from other papers* (verdict ${VERDICT[claim.verification.verdict].label}, confidence ${claim.verification.confidence.toFixed(2)})`;
  const evidenceText =
    evidence.length === 0
      ? `${heading}\nNo independent evidence was found in the other included papers.`
      : `${heading}\n${fitLines(evidence, LIMITS.sectionText - heading.length - 1, (left) => `_…and ${left} more in the attached report._`)}`;
  return [
    // Within budget by construction: 1,000 + 1,200 + a link of at most 500 + 150 + about 80 fixed < 3,000.
    { type: 'section', text: { type: 'mrkdwn', text: quoteText, verbatim: true } },
    { type: 'section', text: { type: 'mrkdwn', text: evidenceText, verbatim: true } },
  ];
}

/** The reference numbers an answer cites (`[1, 3]` style), in order. */
export function citedNumbers(abstract: string): number[] {
  const numbers = new Set<number>();
  for (const group of mrkdwnText(abstract).matchAll(/\[(\d+(?:,\s*\d+)*)\]/g)) {
    for (const n of group[1]!.split(/,\s*/)) numbers.add(Number(n));
  }
  return [...numbers].sort((a, b) => a - b);
}
