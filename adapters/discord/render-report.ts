/**
 * The final answer as a Discord message, readable at a glance: the content is the asker's mention and
 * the bottom line with its verdict badge; an answer embed (title, the answer text with citations,
 * quality score with each reviewer's score, PRISMA counts, linked sources); a claims embed with the top
 * claims (verdict, confidence in words, source); a button per top claim and "All claims (N)" select
 * menus for every claim; the full report is attached as Markdown, JSON and BibTeX. Sizes are budgeted so the message always
 * fits Discord's limits. https://discord.com/developers/docs/resources/message#create-message
 */
import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type RawFile,
  type RESTPostAPIChannelMessageJSONBody,
} from 'discord.js';
import type { Claim, Report } from '../../src/model.js';
import { answerLine, flaggedNote, followUpLine, inlineClaims, INLINE_CLAIMS, THREAD_HINT } from '../shared/glance.js';
import { claimButtonId, claimSelectId, voteButtonId } from './custom-id.js';
import { confidenceLabel, formatDuration, referenceLine, referenceNumbers, VERDICT } from './format.js';
import { escapeDiscord, joinLinesWithin, LIMITS, truncateWords } from './text.js';

/** A message body plus the files uploaded with it. */
export interface MessagePayload {
  body: RESTPostAPIChannelMessageJSONBody;
  files?: RawFile[];
}

/** Claims beyond this many are only in the attached report (a row of top-claim buttons, then 4 select menus of 25). */
export const MAX_CLAIMS_IN_COMPONENTS = (LIMITS.actionRows - 1) * LIMITS.selectOptions;

/** Options of {@link renderAnswerMessage}. */
export interface AnswerOptions {
  /** The Discord user who asked: mentioned in the content, and the only user the message may ping. */
  askerId?: string;
  /** The report's page (`PUBLIC_URL`), linked from the answer's title. */
  fullReportUrl?: string;
}

const SNOWFLAKE = /^\d{17,20}$/;

const ANSWER_MAX = 1800;
const CLAIM_LINE_MAX = 320;
const COLOR = { good: 0x2e7d32, mixed: 0xf9a825, poor: 0xc62828 } as const;

/** Characters Discord counts towards an embed's 6,000 total. */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

/** One line of the claims list: `**1.** ✅ supported · high confidence · [3] text`. */
export function claimLine(claim: Claim, index: number, refs: Map<string, number>, max = CLAIM_LINE_MAX): string {
  const v = VERDICT[claim.verification.verdict];
  const flagged = flaggedNote(claim);
  const head = `**${index + 1}.** ${v.emoji} ${v.label} · ${confidenceLabel(claim.verification.confidence)}${flagged ? ` · ${flagged}` : ''} · [${refs.get(claim.paperId) ?? '?'}] `;
  return head + truncateWords(escapeDiscord(claim.text), Math.max(20, max - head.length));
}

/** Escapes the answer, keeping its numbered citations `[1, 2]` readable. */
function renderAnswerText(abstract: string): string {
  return truncateWords(escapeDiscord(abstract), ANSWER_MAX);
}

function qualityLine(report: Report): string {
  const reviewers = report.reviews.map((r) => `${escapeDiscord(r.reviewer)} ${r.score}/10`).join(' · ');
  return truncateWords(`**${report.qualityScore}/10**${reviewers ? ` · ${reviewers}` : ' · no reviews'}`, 512);
}

function papersLine(report: Report): string {
  const m = report.methodology;
  const sources = m.sources
    .map((s) => (s.status === 'ok' ? `${s.name} ${s.found}` : `${s.name} ${s.status}${s.error ? ` (${s.error})` : ''}`))
    .join(', ');
  const counts = `${m.included} included · ${m.identified} identified → ${m.deduplicated} unique → ${m.screened} screened`;
  return truncateWords(escapeDiscord(`${counts}. Sources: ${sources || 'none'}.`), 512);
}

/** A button per top claim, then "All claims (N)" select menus (25 claims each) when there are more. */
function claimsComponents(report: Report): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  // Thumbs up/down on the answer share the first row with the (at most three) top-claim buttons.
  const votes: APIComponentInMessageActionRow[] = [
    { type: ComponentType.Button as const, custom_id: voteButtonId(report.id, 'up'), style: ButtonStyle.Secondary as const, emoji: { name: '👍' } },
    { type: ComponentType.Button as const, custom_id: voteButtonId(report.id, 'down'), style: ButtonStyle.Secondary as const, emoji: { name: '👎' } },
  ];
  if (report.claims.length === 0) return [{ type: ComponentType.ActionRow, components: votes }];
  const refs = referenceNumbers(report);
  const rows: APIActionRowComponent<APIComponentInMessageActionRow>[] = [
    {
      type: ComponentType.ActionRow,
      components: [...inlineClaims(report).map((claim): APIComponentInMessageActionRow => {
        const verdict = claim.verification.verdict;
        return {
          type: ComponentType.Button,
          custom_id: claimButtonId(report.id, claim.id),
          style: verdict === 'supported' ? ButtonStyle.Success : verdict === 'contradicted' ? ButtonStyle.Danger : ButtonStyle.Secondary,
          label: `Claim ${report.claims.indexOf(claim) + 1}: evidence`,
        };
      }), ...votes],
    },
  ];
  if (report.claims.length <= INLINE_CLAIMS) return rows;
  const claims = report.claims.slice(0, MAX_CLAIMS_IN_COMPONENTS);
  const menus = Math.ceil(claims.length / LIMITS.selectOptions);
  for (let page = 0; page < menus; page++) {
    const first = page * LIMITS.selectOptions;
    const slice = claims.slice(first, first + LIMITS.selectOptions);
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: claimSelectId(report.id, page),
          placeholder: `All claims (${report.claims.length})${menus > 1 ? `: ${first + 1}–${first + slice.length}` : ''}`,
          options: slice.map((claim, i) => ({
            label: truncateWords(`${first + i + 1}. ${claim.text}`, LIMITS.selectLabel),
            value: claim.id,
            description: truncateWords(
              `${VERDICT[claim.verification.verdict].label} · ${confidenceLabel(claim.verification.confidence)} · source [${refs.get(claim.paperId) ?? '?'}]`,
              LIMITS.selectDescription,
            ),
          })),
        },
      ],
    });
  }
  return rows;
}

/** The answer embed's text: the answer with its citations (the whole abstract for an older report without one). */
function answerDescription(report: Report): string {
  return renderAnswerText(report.answer?.text || report.abstract) || 'No answer could be written from the retrieved papers.';
}

/** The two embeds of the answer, sized so that together they stay within 6,000 characters. */
export function renderAnswerEmbeds(report: Report, fullReportUrl?: string): APIEmbed[] {
  const refs = referenceNumbers(report);
  const color = report.qualityScore >= 7 ? COLOR.good : report.qualityScore >= 4 ? COLOR.mixed : COLOR.poor;
  const answer: APIEmbed = {
    title: truncateWords(escapeDiscord(report.title), LIMITS.embedTitle),
    description: answerDescription(report),
    color,
    fields: [
      { name: 'Quality score', value: qualityLine(report) },
      { name: 'Papers', value: papersLine(report) },
    ],
    // The title links to the report's page when the web adapter is public ("Full report").
    ...(fullReportUrl ? { url: fullReportUrl } : {}),
    // The report id stays in the components' custom ids (and the page's link) only.
    footer: { text: truncateWords(`${report.methodology.engine} engine · ${formatDuration(report.timings.totalMs)} · ${THREAD_HINT}`, LIMITS.footer) },
  };
  const top = inlineClaims(report);
  const more = report.claims.length - top.length;
  const claimsTitle = more > 0 ? `Top claims (${top.length} of ${report.claims.length})` : `Claims (${report.claims.length})`;
  const reserveForSources = report.references.length > 0 ? 400 : 0;
  const claimsBudget = Math.min(
    LIMITS.embedDescription,
    LIMITS.embedTotal - embedLength(answer) - claimsTitle.length - reserveForSources,
  );
  const claimLines = top.map((c) => claimLine(c, report.claims.indexOf(c), refs));
  const moreNote =
    more > 0
      ? `… and ${more} more: pick one under **All claims (${report.claims.length})** below` +
        (report.claims.length > MAX_CLAIMS_IN_COMPONENTS ? `; claims after ${MAX_CLAIMS_IN_COMPONENTS} are only in the attached report.` : '.')
      : undefined;
  const claims: APIEmbed = {
    title: claimsTitle,
    description:
      claimLines.length > 0
        ? joinLinesWithin([...claimLines, ...(moreNote ? [moreNote] : [])], claimsBudget, (n) => `… and ${n} more in the attached report.`)
        : 'No claims could be extracted from the retrieved papers.',
    color,
  };
  const sourcesBudget = Math.min(LIMITS.fieldValue, LIMITS.embedTotal - embedLength(answer) - embedLength(claims) - 'Sources'.length);
  if (report.references.length > 0 && sourcesBudget >= 80) {
    const lines = report.references.map((ref, i) => referenceLine(ref, i + 1));
    answer.fields!.push({
      name: 'Sources',
      value: joinLinesWithin(lines, sourcesBudget, (n) => `… ${n} more in the attached report.`),
    });
  }
  return [answer, claims];
}

/**
 * The complete answer message (embeds, claim components; the transport attaches the report files
 * from `../shared/files.ts`). The content is the
 * bottom line, after the asker's mention; `allowed_mentions` lets exactly that user be pinged, so
 * mention syntax in user or paper text (neutralised anyway) could ping nobody.
 */
export function renderAnswerMessage(report: Report, options: AnswerOptions = {}): MessagePayload {
  const asker = options.askerId && SNOWFLAKE.test(options.askerId) ? options.askerId : undefined;
  const line = answerLine(report);
  const head = line ? `**${line}**` : `**Answer** · ${report.claims.length} claim(s) from ${report.references.length} paper(s)`;
  const followUp = followUpLine(report);
  const content = `${asker ? `<@${asker}> ` : ''}${head}${followUp ? `\n${escapeDiscord(followUp)}` : ''}`;
  return {
    body: {
      content: truncateWords(content, LIMITS.content),
      embeds: renderAnswerEmbeds(report, options.fullReportUrl),
      components: claimsComponents(report),
      allowed_mentions: asker ? { parse: [], users: [asker] } : { parse: [] },
    },
  };
}
