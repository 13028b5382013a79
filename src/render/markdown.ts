/**
 * The report as Markdown, for a terminal or a file: title, answer, methodology with PRISMA counts,
 * claims table, claim details with their verbatim quotes and evidence, reviews, limitations, gaps and
 * references. Every untrusted string is escaped.
 */
import type { Claim, Reference, Report } from '../model.js';
import { bottomLine } from './bottom-line.js';
import { cleanText } from '../text/sanitize.js';
import { escapeCell, escapeMarkdown } from './escape.js';
import { renderFindingsTable } from './findings.js';

const VERDICT_LABEL: Record<Claim['verification']['verdict'], string> = {
  supported: 'supported',
  contradicted: 'contradicted',
  insufficient: 'insufficient evidence',
};

/** A DOI as registered: `10.` + registrant code, a slash, a suffix without spaces. */
const DOI = /^10\.\d+(?:\.\d+)*\/\S+$/;
/** Characters a bare URL may carry in Markdown without any of them being read as markup. */
const BARE_URL = /^[A-Za-z0-9\-.~:/?#@!$&,;=%+]+$/;

/**
 * An http(s) URL as Markdown: bare when no character in it could be read as markup, otherwise as an
 * autolink `<…>` (inside which nothing is markup); `<`, `>`, spaces and controls are percent-encoded
 * by the URL parser, so the link cannot be closed early. Undefined for anything but http(s).
 */
function markdownUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(cleanText(raw));
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const href = url.href.replace(/[<>\s"`\\]/g, (c) => encodeURIComponent(c));
  return BARE_URL.test(href) ? href : `<${href}>`;
}

/** The https://doi.org/ link of a DOI, or undefined when the value is not a DOI. */
function doiLink(raw: string): string | undefined {
  const doi = cleanText(raw).replace(/^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)/i, '');
  if (!DOI.test(doi)) return undefined;
  return markdownUrl(`https://doi.org/${doi.split('/').map(encodeURIComponent).join('/')}`);
}

/**
 * Where a reference points: its DOI as a doi.org link, else its http(s) URL as a link. A DOI that is
 * not a DOI, or a URL of another scheme (`javascript:`), comes from an untrusted source and is shown
 * as escaped text, never as a link or markup.
 */
function referenceLocation(ref: Reference): string[] {
  const doi = ref.doi ? doiLink(ref.doi) : undefined;
  if (doi) return [doi];
  const url = ref.url ? markdownUrl(ref.url) : undefined;
  return [
    ref.doi ? `DOI: ${escapeMarkdown(ref.doi)}` : '',
    url ?? (ref.url && cleanText(ref.url) ? `URL: ${escapeMarkdown(ref.url)}` : ''),
  ];
}

/** One reference in a short citation style: `Authors (year). Title. Venue. DOI/URL`. */
export function formatReference(ref: Reference): string {
  const authors =
    ref.authors.length === 0 ? '' : ref.authors.length > 3 ? `${ref.authors.slice(0, 3).join(', ')} et al.` : ref.authors.join(', ');
  const byline = authors ? `${escapeMarkdown(authors)}${ref.year ? ` (${ref.year})` : ''}` : ref.year ? `(${ref.year})` : '';
  const parts = [
    byline && !byline.endsWith('.') ? `${byline}.` : byline,
    `${escapeMarkdown(ref.title)}${/[.?!]$/.test(ref.title) ? '' : '.'}`,
    ref.venue ? `*${escapeMarkdown(ref.venue)}*.` : '',
    ...referenceLocation(ref),
  ];
  return parts.filter(Boolean).join(' ');
}

/** Renders the report as Markdown. */
export function renderMarkdown(report: Report): string {
  const refNumber = new Map(report.references.map((r, i) => [r.id, i + 1]));
  const cite = (paperId: string) => `[${refNumber.get(paperId) ?? '?'}]`;
  const m = report.methodology;
  const out: string[] = [];
  out.push(`# ${escapeMarkdown(report.title)}`, '');
  out.push(`**Question:** ${escapeMarkdown(report.question)}  `);
  if (report.followUp) {
    const from = report.followUp.scope === 'thread' ? 'answered from the papers of that report only' : 'answered from a new search of the configured sources';
    out.push(`**Follow-up** to report ${escapeMarkdown(report.followUp.of)}, asked as "${escapeMarkdown(report.followUp.question)}"; ${from}.  `);
  }
  if (report.addition) {
    const a = report.addition;
    const asked = [a.requested ? `asked for as "${escapeMarkdown(a.requested)}"` : '', a.source ? `from ${escapeMarkdown(a.source)}` : ''].filter(Boolean).join(', ');
    out.push(`**Addition** to report ${escapeMarkdown(a.of)}: paper ${cite(a.paper)} added${asked ? ` (${asked})` : ''}; the question was run again over that report's papers and this one, every claim verified again.  `);
  }
  out.push(
    `**Quality score:** ${report.qualityScore}/10 (${report.reviews.map((r) => `${r.reviewer} ${r.score}`).join(', ') || 'no reviews'})  `,
  );
  out.push(`**Created:** ${report.createdAt} · **Report id:** ${report.id}`, '');
  const line = bottomLine(report.answer);
  out.push('## Answer', '');
  if (line) out.push(`**Bottom line: ${line}.**`, '');
  out.push(escapeMarkdown(report.abstract).replace(/\\\[(\d+(?:, \d+)*)\\\]/g, '[$1]'), '');
  const findings = renderFindingsTable(report.findings ?? [], cite);
  if (findings.length > 0) out.push('## Findings', '', ...findings, '');

  out.push('## Methodology', '');
  out.push(`Engine: ${escapeMarkdown(m.engine)}. Sources were searched in parallel, records merged by DOI, arXiv id, PMID and title, then screened and ranked.`, '');
  out.push('| Source | Status | Found | After de-duplication | Screened | Included |', '|---|---|---|---|---|---|');
  for (const s of m.sources) {
    const extra = s as typeof s & { deduplicated?: number; screened?: number; included?: number };
    const status = s.status === 'ok' ? 'ok' : `${s.status}${s.error ? `: ${escapeCell(s.error)}` : ''}`;
    out.push(`| ${escapeCell(s.name)} | ${status} | ${s.found} | ${extra.deduplicated ?? '–'} | ${extra.screened ?? '–'} | ${extra.included ?? '–'} |`);
  }
  out.push('');
  out.push(`PRISMA flow: ${m.identified} records identified → ${m.deduplicated} after de-duplication → ${m.screened} screened in → ${m.included} included.`);
  const llm = (m as { llm?: { provider?: string; model?: string; calls?: number; totalTokens?: number; promptTokens?: number; completionTokens?: number; estimatedCostUsd?: number; budget?: { reached?: boolean } } }).llm;
  if (llm && typeof llm.calls === 'number') {
    const cost = typeof llm.estimatedCostUsd === 'number' ? `, estimated cost $${llm.estimatedCostUsd.toFixed(4)}` : '';
    out.push(
      `Model: ${escapeMarkdown(`${llm.provider ?? ''}/${llm.model ?? ''}`)}, ${llm.calls} call(s), ${llm.totalTokens ?? 0} tokens (${llm.promptTokens ?? 0} prompt, ${llm.completionTokens ?? 0} completion)${cost}${llm.budget?.reached ? '; the token budget was reached' : ''}.`,
    );
  }
  const selection = (m as { claimSelection?: { sentences: number; notFindings: number; offTopic: number; otherPopulation: number; claims: number } }).claimSelection;
  if (selection) {
    out.push(
      `Claim selection: ${selection.sentences} complete sentences read; ${selection.notFindings} background, aim or method sentences, ${selection.offTopic} findings not about the question's exposure and outcome and ${selection.otherPopulation} about another population were left out; ${selection.claims} kept as claims.`,
    );
  }
  const excluded = (m as { excluded?: Record<string, number> }).excluded;
  if (excluded && Object.keys(excluded).length > 0) {
    out.push(`Excluded at screening: ${Object.entries(excluded).map(([reason, n]) => `${n} ${reason}`).join(', ')}.`);
  }
  out.push('');

  out.push('## Claims', '');
  if (report.claims.length === 0) out.push('No claims could be extracted.', '');
  else {
    out.push('| # | Claim | Verdict | Confidence | Source |', '|---|---|---|---|---|');
    for (const c of report.claims) {
      out.push(`| ${c.id} | ${escapeCell(c.text)} | ${VERDICT_LABEL[c.verification.verdict]} | ${c.verification.confidence.toFixed(2)} | ${cite(c.paperId)} |`);
    }
    out.push('');
    out.push('### Claim details', '');
    for (const c of report.claims) {
      out.push(`**${c.id}.** ${escapeMarkdown(c.text)} ${cite(c.paperId)}  `);
      out.push(`Verdict: ${VERDICT_LABEL[c.verification.verdict]} (confidence ${c.verification.confidence.toFixed(2)})`, '');
      out.push(`> ${escapeMarkdown(c.quote)}`, '');
      for (const e of c.verification.evidence) {
        out.push(`- ${e.stance === 'supports' ? 'Supports' : 'Contradicts'} ${cite(e.paperId)}: "${escapeMarkdown(e.quote)}"`);
      }
      if (c.verification.evidence.length === 0) out.push('- No independent evidence found in the other included papers.');
      out.push('');
    }
  }

  out.push('## Reviews', '');
  for (const r of report.reviews) out.push(`- **${escapeMarkdown(r.reviewer)}** ${r.score}/10: ${escapeMarkdown(r.rationale)}`);
  if (report.reviews.length === 0) out.push('- No reviews.');
  out.push('');
  out.push('## Limitations', '');
  for (const l of report.limitations) out.push(`- ${escapeMarkdown(l)}`);
  out.push('');
  out.push('## Gaps', '');
  if (report.gaps.length === 0) out.push('- None detected: every key term of the question is addressed by at least one claim.');
  for (const g of report.gaps) out.push(`- ${escapeMarkdown(g)}`);
  out.push('');
  out.push('## References', '');
  report.references.forEach((ref, i) => out.push(`${i + 1}. ${formatReference(ref)}`));
  if (report.references.length === 0) out.push('None.');
  out.push('');
  const stages = Object.entries(report.timings.stages)
    .map(([stage, ms]) => `${stage} ${Math.round(ms)} ms`)
    .join(', ');
  out.push(`_Timings: total ${Math.round(report.timings.totalMs)} ms (${stages})._`, '');
  return out.join('\n');
}
