/**
 * The ephemeral reply to a claim button: the claim, its verbatim quote with the paper it comes from,
 * and the independent evidence for and against it, with links to the papers. One embed, sized within
 * Discord's limits. https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 */
import type { APIEmbed } from 'discord.js';
import type { Claim, Evidence, Report } from '../../src/model.js';
import { quoteRepeatsClaim } from '../shared/glance.js';
import { formatConfidence, paperLink, referenceLine, referenceNumbers, VERDICT } from './format.js';
import { embedLength } from './render-report.js';
import { escapeDiscord, joinLinesWithin, LIMITS, truncateWords } from './text.js';

const QUOTE_MAX = 1500;
const EVIDENCE_QUOTE_MAX = 400;

function evidenceLines(items: readonly Evidence[], refs: Map<string, number>): string[] {
  return items.map((e) => `[${refs.get(e.paperId) ?? '?'}] “${truncateWords(escapeDiscord(e.quote), EVIDENCE_QUOTE_MAX)}”`);
}

/** The detail embed of one claim of a report. */
export function renderClaimDetail(report: Report, claim: Claim): APIEmbed {
  const refs = referenceNumbers(report);
  const index = report.claims.findIndex((c) => c.id === claim.id);
  const v = VERDICT[claim.verification.verdict];
  const source = report.references.find((r) => r.id === claim.paperId);
  const sourceNumber = refs.get(claim.paperId) ?? '?';
  const link = paperLink(source);
  const from = `[${sourceNumber}]${source ? ` ${truncateWords(escapeDiscord(source.title), 200)}` : ''}`;
  // A claim that is its quote is shown once, as the quote.
  const description = [
    ...(quoteRepeatsClaim(claim) ? [`Verbatim from ${from}:`] : [`**${truncateWords(escapeDiscord(claim.text), 1200)}**`, '', `Verbatim quote from ${from}:`]),
    `> ${truncateWords(escapeDiscord(claim.quote), QUOTE_MAX)}`,
  ].join('\n');
  const embed: APIEmbed = {
    title: truncateWords(`Claim ${index + 1}: ${v.emoji} ${v.label} (confidence ${formatConfidence(claim.verification.confidence)})`, LIMITS.embedTitle),
    description: truncateWords(description, LIMITS.embedDescription),
    fields: [],
  };
  if (link) embed.url = link;
  const supports = claim.verification.evidence.filter((e) => e.stance === 'supports');
  const contradicts = claim.verification.evidence.filter((e) => e.stance === 'contradicts');
  const more = (n: number) => `… ${n} more in the attached report.`;
  embed.fields!.push({
    name: `Evidence for (${supports.length})`,
    value: supports.length > 0 ? joinLinesWithin(evidenceLines(supports, refs), LIMITS.fieldValue, more) : 'None found in the other included papers.',
  });
  embed.fields!.push({
    name: `Evidence against (${contradicts.length})`,
    value:
      contradicts.length > 0 ? joinLinesWithin(evidenceLines(contradicts, refs), LIMITS.fieldValue, more) : 'None found in the other included papers.',
  });
  const paperIds = [...new Set([claim.paperId, ...claim.verification.evidence.map((e) => e.paperId)])];
  const papers = paperIds
    .map((id) => report.references.find((r) => r.id === id))
    .filter((r) => r !== undefined)
    .map((r) => referenceLine(r, refs.get(r.id) ?? 0, 100));
  const papersBudget = Math.min(LIMITS.fieldValue, LIMITS.embedTotal - embedLength(embed) - 'Papers'.length);
  if (papers.length > 0 && papersBudget >= 80) embed.fields!.push({ name: 'Papers', value: joinLinesWithin(papers, papersBudget, more) });
  return embed;
}
