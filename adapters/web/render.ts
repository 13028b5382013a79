/**
 * The web renderer of the shared conversation (`../shared/chat.ts`): each state of a run as escaped
 * HTML. Controls are plain forms (Cancel, Retry) that work without script; the page's script turns
 * them into in-place requests with a confirmation. Claims expand with `<details>`, so a claim's
 * quote and evidence need no script and are reachable by keyboard.
 */
import { createHash } from 'node:crypto';
import type { Report } from '../../src/model.js';
import { describeStage, formatSeconds, type ProgressSnapshot } from '../../src/progress.js';
import type { ChatRenderer, RunOutcome, Words } from '../shared/chat.js';
import { ANSWER_BADGE, flaggedNote, followUpLine, inlineClaims, quoteRepeatsClaim } from '../shared/glance.js';
import { bottomLine } from '../../src/render/bottom-line.js';
import type { Answer } from '../../src/model.js';
import { failureText } from '../shared/texts.js';
import { empty, h, toHtml, withCitations, type Html } from './html.js';
import type { WebMessage } from './hub.js';
import { cite, claimEvidence, confidenceText, referenceBody, referenceNumbers, verdictBadge } from './pieces.js';

/** Where a report's page and downloads are, as the viewer may open them (signed when the page is exposed). */
export interface ReportLinks {
  page(reportId: string): string;
  download(reportId: string, format: 'md' | 'json' | 'bib'): string;
}

/** A visitor as others see them: a short pseudonym derived from the id (the page says "you" for its own). */
export function visitorName(id: string): string {
  return createHash('sha256').update(`visitor:${id}`).digest('hex').slice(0, 6);
}

/** A user named in a message. */
export function userHtml(id: string): Html {
  const name = visitorName(id);
  return h`<span class="user" data-visitor="${name}">visitor ${name}</span>`;
}

/** Words as HTML: text escaped, users named. */
export function wordsHtml(words: Words): Html {
  const parts = typeof words === 'string' ? [words] : words;
  return h`${parts.map((part) => (typeof part === 'string' ? h`${part}` : userHtml(part.user)))}`;
}

/** Words as plain text (for announcements). */
export function wordsText(words: Words): string {
  const parts = typeof words === 'string' ? [words] : words;
  return parts.map((part) => (typeof part === 'string' ? part : `visitor ${visitorName(part.user)}`)).join('');
}

/** Each answer verdict's symbol: plain text symbols, which every font has (the chat platforms' emoji may not render). */
export const VERDICT_SYMBOL: Record<Answer['verdict'], string> = { yes: '✓', no: '✗', mixed: '±', insufficient: '?', 'not-applicable': '≡' };

/** The chat platforms' answer line without its emoji badge. */
function withoutBadge(line: string): string {
  for (const badge of Object.values(ANSWER_BADGE)) if (line.startsWith(`${badge} `)) return line.slice(badge.length + 1);
  return line;
}

const message = (kind: WebMessage['kind'], html: Html, text: string, run?: string): WebMessage => ({ kind, html: toHtml(html), text, ...(run ? { run } : {}) });

function outcomeHtml(outcome: RunOutcome): Html {
  switch (outcome.kind) {
    case 'answered':
      return h`<p class="outcome ok"><span aria-hidden="true">✓</span> Answered below: ${outcome.line ? withoutBadge(outcome.line) : 'see the report'} · ${outcome.claims} ${outcome.claims === 1 ? 'claim' : 'claims'}, quality ${outcome.quality}/10.</p>`;
    case 'cancelled':
      return h`<p class="outcome stopped"><span aria-hidden="true">■</span> Cancelled.</p>`;
    case 'failed':
      return h`<p class="outcome failed"><span aria-hidden="true">!</span> The run failed; the reason is below.</p>`;
    case 'undelivered':
      return h`<p class="outcome failed"><span aria-hidden="true">!</span> The answer could not be shown.</p>`;
    case 'refused':
      return h`<p class="outcome failed"><span aria-hidden="true">!</span> Not started: ${outcome.text}</p>`;
  }
}

function stageItem(stage: ProgressSnapshot['stages'][number], snapshot: ProgressSnapshot): Html {
  const detail = describeStage(stage, snapshot.sources);
  const time = stage.ms !== undefined ? ` (${formatSeconds(stage.ms)})` : '';
  const done = stage.status === 'done';
  return h`<li class="stage ${done ? 'done' : 'running'}"><span class="mark" aria-hidden="true">${done ? '✓' : '…'}</span> <span class="visually-hidden">${done ? 'Done: ' : 'In progress: '}</span>${stage.label}${detail ? `: ${detail}` : ''}${time}</li>`;
}

/** The progress message: the stages so far and the elapsed time with Cancel; one line once the run ended. */
export function progressHtml(snapshot: ProgressSnapshot, runId: string, note?: string): { html: Html; text: string } {
  const started = snapshot.stages.filter((s) => s.status !== 'pending');
  const stages = h`<ol class="stages">${started.map((s) => stageItem(s, snapshot))}</ol>`;
  const noteHtml = note ? h`<p class="note">${note}</p>` : empty;
  if (snapshot.finished) {
    const f = snapshot.finished;
    const text = `Done in ${formatSeconds(snapshot.elapsedMs)}: ${f.claims} ${f.claims === 1 ? 'claim' : 'claims'}, quality ${f.qualityScore}/10.`;
    return { text, html: h`<div class="progress ended ok">${noteHtml}<p class="progress-line"><span aria-hidden="true">✓</span> ${text}</p><details class="steps"><summary>Steps</summary>${stages}</details></div>` };
  }
  if (snapshot.failed) {
    const text = `Stopped after ${formatSeconds(snapshot.elapsedMs)}: ${failureText(snapshot.failed.code, '')}`;
    return { text, html: h`<div class="progress ended failed">${noteHtml}<p class="progress-line"><span aria-hidden="true">■</span> ${text}</p><details class="steps"><summary>Steps</summary>${stages}</details></div>` };
  }
  const current = started.filter((s) => s.status === 'running').at(-1) ?? started.at(-1);
  const state = snapshot.queuedPosition !== undefined ? `Queued (position ${snapshot.queuedPosition})` : current ? `${current.label}…` : 'Starting…';
  const text = `${state} ${formatSeconds(snapshot.elapsedMs)}`;
  return {
    text,
    html: h`<div class="progress running" data-run="${runId}">${noteHtml}<p class="progress-line"><span class="state">${state}</span> <span class="elapsed"><span class="visually-hidden">elapsed </span>${formatSeconds(snapshot.elapsedMs)}</span></p>${stages}<form class="run-control" method="post" action="/runs/${runId}/cancel" data-action="cancel"><button type="submit" class="secondary">Cancel</button></form></div>`,
  };
}

/** "⚑ flagged by N" beside a flagged claim. */
function flaggedHtml(claim: Report['claims'][number]): Html {
  const note = flaggedNote(claim);
  return note ? h` <span class="flagged">${note}</span>` : empty;
}

/** Flag this claim: a plain form (the reason is optional), beside the claim's evidence. */
function flagForm(reportId: string, claim: Report['claims'][number]): Html {
  return h`<form class="flag-form" method="post" action="/reports/${encodeURIComponent(reportId)}/claims/${encodeURIComponent(claim.id)}/flag" data-action="flag"><label>Flag this claim: why? (optional) <textarea name="reason" rows="1" maxlength="1000"></textarea></label> <button type="submit" class="secondary"><span aria-hidden="true">⚑</span> Flag this claim</button></form>`;
}

/** 👍/👎 on an answer, kept as the report's feedback. */
function voteForm(reportId: string): Html {
  return h`<form class="vote-form" method="post" action="/reports/${encodeURIComponent(reportId)}/vote" data-action="vote"><span class="vote-label">Was this answer useful?</span> <button type="submit" name="vote" value="up" class="secondary"><span aria-hidden="true">👍</span> Yes</button> <button type="submit" name="vote" value="down" class="secondary"><span aria-hidden="true">👎</span> No</button></form>`;
}

/** A visitor's own message in a thread (a follow-up or a thread command). */
export function saidMessage(asker: string, text: string): WebMessage {
  return message('said', h`<p class="said">${userHtml(asker)}: <span class="said-text">${text}</span></p>`, `visitor ${visitorName(asker)}: ${text}`);
}

/** The claims an answer lists, each expandable to its quote and evidence. */
function claimItems(report: Report, claims: Report['claims'], refs: Map<string, number>, base: string): Html {
  return h`${claims.map((claim) => {
    const n = report.claims.indexOf(claim) + 1;
    const repeats = quoteRepeatsClaim(claim);
    return h`<li class="claim" value="${n}"><details><summary><span class="claim-head">${verdictBadge(claim)} <span class="conf">${confidenceText(claim.verification.confidence, false)}</span></span> <span class="claim-text">${claim.text}</span> <span class="cite">[${refs.get(claim.paperId) ?? '?'}]</span>${flaggedHtml(claim)}</summary>${
      repeats ? h`<p class="repeat-note">The claim is the paper's own sentence.</p>` : empty
    }${claimEvidence(report, claim, refs, base)}${flagForm(report.id, claim)}<p class="claim-link"><a href="${base}#claim-${n}">Claim ${n} in the full report</a></p></details></li>`;
  })}`;
}

/** The answer: bottom line, the answer with citations, quality, claims (expandable), sources, the full report and downloads. */
export function answerHtml(report: Report, asker: string, links: ReportLinks): { html: Html; text: string } {
  const refs = referenceNumbers(report);
  const page = links.page(report.id);
  const line = bottomLine(report.answer);
  const head = line ?? `Answer: ${report.claims.length} ${report.claims.length === 1 ? 'claim' : 'claims'} from ${report.references.length} papers`;
  const verdict = report.answer?.verdict ?? 'none';
  const top = inlineClaims(report);
  const rest = report.claims.filter((c) => !top.includes(c));
  const m = report.methodology;
  const reviewers = report.reviews.map((r) => `${r.reviewer} ${r.score}`).join(', ');
  // Sources: the papers the answer text and the claims shown at a glance cite, in reference order.
  const cited = new Set<number>();
  for (const match of (report.answer?.text ?? report.abstract).matchAll(/\[(\d{1,4}(?:,\s*\d{1,4})*)\]/g)) for (const n of match[1]!.split(/,\s*/)) cited.add(Number(n));
  for (const c of top) cited.add(refs.get(c.paperId) ?? 0);
  const sources = [...cited].filter((n) => n >= 1 && n <= report.references.length).sort((a, b) => a - b);
  const shownSources = sources.slice(0, 8);
  const followUp = followUpLine(report);
  const html = h`<article class="answer verdict-${verdict}" aria-label="Answer">
<h3 class="bottom-line">${report.answer ? h`<span class="badge" aria-hidden="true">${VERDICT_SYMBOL[report.answer.verdict]}</span> ` : empty}${head}</h3>
<p class="for">For ${userHtml(asker)}.</p>
${followUp ? h`<p class="follow-up">${followUp}</p>` : empty}
<p class="answer-text">${withCitations(report.answer?.text || report.abstract || 'No answer could be written from the retrieved papers.', page, report.references.length)}</p>
<p class="quality">Quality ${report.qualityScore}/10${reviewers ? ` (${reviewers})` : ''} · ${m.included} papers included of ${m.identified} identified.</p>
${
  report.claims.length === 0
    ? h`<p class="no-claims">No claims could be extracted from the retrieved papers.</p>`
    : h`<h4>${rest.length > 0 ? `Top claims (${top.length} of ${report.claims.length})` : `Claims (${report.claims.length})`}</h4>
<ol class="claims">${claimItems(report, top, refs, page)}</ol>
${rest.length > 0 ? h`<details class="all-claims"><summary>All claims (${report.claims.length})</summary><ol class="claims">${claimItems(report, rest, refs, page)}</ol></details>` : empty}`
}
${
  shownSources.length > 0
    ? h`<h4>Sources</h4><ol class="sources">${shownSources.map((n) => h`<li value="${n}">${referenceBody(report.references[n - 1]!)}</li>`)}</ol>${
        report.references.length > shownSources.length ? h`<p class="more-sources">${report.references.length - shownSources.length} more in the full report.</p>` : empty
      }`
    : empty
}
<p class="report-links"><a class="full-report" href="${page}">Full report</a> · Download <a href="${links.download(report.id, 'md')}" download>Markdown</a>, <a href="${links.download(report.id, 'json')}" download>JSON</a>, <a href="${links.download(report.id, 'bib')}" download>BibTeX</a></p>
${voteForm(report.id)}
</article>`;
  return { html, text: `Answer ready: ${head}` };
}

/** The web renderer, over the viewer's report links. */
export function createWebRenderer(links: ReportLinks): ChatRenderer<WebMessage> {
  return {
    parent({ question, asker, outcome }) {
      const html = h`<div class="parent"><p class="question"><span class="label">Researching:</span> <q>${question}</q></p><p class="asker">Asked by ${userHtml(asker)}.</p>${outcome ? outcomeHtml(outcome) : empty}</div>`;
      return message('parent', html, `Researching: ${question}`);
    },
    progress(snapshot, { runId, note }) {
      const { html, text } = progressHtml(snapshot, runId, note);
      return message('progress', html, text, runId);
    },
    answer(report, { asker }) {
      const { html, text } = answerHtml(report, asker, links);
      return message('answer', html, text, report.id);
    },
    failure({ runId, text, retryable }) {
      const html = h`<div class="failure"><p><strong><span aria-hidden="true">!</span> The run failed.</strong> ${text}</p>${
        retryable ? h`<form class="run-control" method="post" action="/runs/${runId}/retry" data-action="retry"><button type="submit">Retry</button></form>` : empty
      }</div>`;
      return message('failure', html, `The run failed. ${text}`, runId);
    },
    evidence(report, claim) {
      const index = report.claims.findIndex((c) => c.id === claim.id);
      const n = index + 1;
      const refs = referenceNumbers(report);
      const page = links.page(report.id);
      const html = h`<article class="explained" aria-label="${`Claim ${n} explained`}"><h3 class="claim-title">Claim ${n} ${verdictBadge(claim)} <span class="conf">${confidenceText(claim.verification.confidence)}</span>${flaggedHtml(claim)}</h3>
<p class="claim-text">${claim.text} ${cite(claim.paperId, refs, page)}</p>
${claimEvidence(report, claim, refs, page)}${flagForm(report.id, claim)}<p class="claim-link"><a href="${page}#claim-${n}">Claim ${n} in the full report</a></p></article>`;
      return message('evidence', html, `Claim ${n}: ${claim.text}`, report.id);
    },
    notice(words) {
      return message('notice', h`<p class="notice">${wordsHtml(words)}</p>`, wordsText(words));
    },
  };
}
