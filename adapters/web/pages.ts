/**
 * The web adapter's pages: the shell every page shares (one stylesheet, at most one script, both from
 * this server: the Content-Security-Policy allows nothing else), the ask page with the visitor's
 * threads, the report page, the access-token page and the error page.
 */
import type { Report } from '../../src/model.js';
import { bottomLine } from '../../src/render/bottom-line.js';
import { ASSET_VERSION } from './assets.js';
import { alreadyEscaped, empty, h, withCitations, type Html } from './html.js';
import type { PostedMessage } from './hub.js';
import { claimEvidence, cite, confidenceText, referenceBody, referenceNumbers, verdictBadge } from './pieces.js';
import { flaggedNote } from '../shared/glance.js';
import { VERDICT_SYMBOL } from './render.js';
import { evidenceLegend, evidenceMapSvg, evidenceMarks, prismaSteps, prismaSvg } from './svg.js';


/** The shell of a page. */
export function layout(view: { title: string; main: Html; script?: boolean; visitor?: string; wide?: boolean }): string {
  return String(h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${view.title}</title>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css?v=${ASSET_VERSION}">
${view.script ? h`<script src="/static/app.js?v=${ASSET_VERSION}" defer></script>` : empty}
</head>
<body${view.visitor ? h` data-visitor="${view.visitor}"` : empty}>
<a class="skip-link" href="#main">Skip to the content</a>
<header class="site"><a class="brand" href="/">Research synthesis</a></header>
<main id="main" class="${view.wide ? 'wide' : ''}" tabindex="-1">
${view.main}
</main>
<footer class="site"><p>Claims quote their papers verbatim; each is checked against the other papers. Abstracts only.</p></footer>
</body>
</html>
`);
}

/** One message of a thread, as the page and the live stream draw it. */
export function messageHtml(m: PostedMessage): Html {
  return h`<div class="message kind-${m.kind}" id="m-${m.id}" data-id="${m.id}" data-rev="${m.rev}" data-kind="${m.kind}">${alreadyEscaped(m.html)}</div>`;
}

/** The placeholder of a thread's reply box: what may be typed there. */
export const REPLY_HINT = 'Ask a follow-up, or: explain claim 2 · add <DOI> · since 2020 · more papers';

/** The reply box under a thread: a plain form post (the page's script sends it in place). */
export function replyFormHtml(threadId: string): Html {
  return h`<form class="reply" method="post" action="/threads/${encodeURIComponent(threadId)}/reply" data-action="reply"><label><span class="visually-hidden">Reply in this thread</span><textarea name="text" rows="1" maxlength="1000" required placeholder="${REPLY_HINT}"></textarea></label> <button type="submit">Reply</button></form>`;
}

/** The visitor's threads, newest first: each parent with its replies. */
export function threadsHtml(messages: readonly PostedMessage[]): Html {
  const parents = messages.filter((m) => !m.thread).reverse();
  if (parents.length === 0) return h`<p class="empty" id="no-threads">No questions yet. Ask one above; its progress and answer appear here.</p>`;
  return h`${parents.map(
    (parent) => h`<article class="thread" id="t-${parent.id}" data-thread="${parent.id}" aria-labelledby="m-${parent.id}">${messageHtml(parent)}<ol class="replies">${messages
      .filter((m) => m.thread === parent.id)
      .map((m) => h`<li>${messageHtml(m)}</li>`)}</ol>${replyFormHtml(parent.id)}</article>`,
  )}`;
}

/** The ask page. */
export function askPage(view: { visitor: string; messages: readonly PostedMessage[]; sources: string[]; told?: string; canAsk: boolean }): string {
  const form = view.canAsk
    ? h`<form id="ask" class="ask" method="post" action="/ask">
<label for="question">Your research question</label>
<textarea id="question" name="question" rows="2" maxlength="1000" required aria-describedby="question-hint" placeholder="Does vitamin D supplementation reduce fracture risk?"></textarea>
<p id="question-hint" class="hint">A yes/no question gets a yes, no, mixed or insufficient-evidence answer; an open one a synthesis of the findings.</p>
<details class="options"><summary>Options</summary>
<div class="fields">
<label>Published from <input name="yearFrom" type="number" inputmode="numeric" min="1800" max="2100" placeholder="any"></label>
<label>Published until <input name="yearTo" type="number" inputmode="numeric" min="1800" max="2100" placeholder="any"></label>
<label>Papers included <input name="maxPapers" type="number" inputmode="numeric" min="1" max="200" placeholder="20"></label>
</div></details>
<button type="submit">Ask</button>
</form>`
    : h`<p class="notice">Asking questions from this page needs the access token. <a href="/access">Enter it</a>.</p>`;
  const main = h`<h1>Ask a research question</h1>
<p class="lede">The bot searches ${view.sources.length > 0 ? view.sources.join(', ') : 'no source (none is configured)'}, screens the papers, extracts claims, verifies each against the other papers, and answers with its confidence. You watch the same conversation Slack and Discord get.</p>
${form}
<div id="told" class="told" role="status" aria-live="polite">${view.told ? h`<p class="notice">${view.told}</p>` : empty}</div>
<noscript><p class="notice">Without JavaScript this page does not update by itself: reload it to follow a run.</p></noscript>
<section class="conversation" aria-labelledby="threads-heading">
<h2 id="threads-heading">Your questions</h2>
<div id="threads">${threadsHtml(view.messages)}</div>
</section>
<div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>
<template id="reply-template">${replyFormHtml('THREAD')}</template>`;
  return layout({ title: 'Research synthesis', main, script: true, visitor: view.visitor });
}

/** Where a report's page and downloads are, with the access query (signature) carried along. */
export interface ReportPageLinks {
  /** `?exp=…&sig=…` or ''. */
  query: string;
}

const VERDICT_CLASS = (report: Report) => `verdict-${report.answer?.verdict ?? 'none'}`;

/** The report page. */
export function reportPage(report: Report, links: ReportPageLinks): string {
  const refs = referenceNumbers(report);
  const m = report.methodology;
  const base = '';
  const line = bottomLine(report.answer);
  // The abstract goes on from the answer: what it adds is shown under it.
  const answerText = report.answer?.text ?? '';
  const more = answerText ? (report.abstract.startsWith(answerText) ? report.abstract.slice(answerText.length).trim() : report.abstract) : '';
  const download = (format: string) => `/reports/${encodeURIComponent(report.id)}/download/${format}${links.query}`;
  const findings = report.findings ?? [];
  const { rows } = evidenceMarks(report);
  const selection = (m as { claimSelection?: { sentences: number; notFindings: number; offTopic: number; otherPopulation: number; claims: number } }).claimSelection;

  const claims = report.claims.map((claim, i) => {
    const n = i + 1;
    return h`<li class="claim-full" value="${n}"><article id="claim-${n}" tabindex="-1" aria-labelledby="claim-${n}-h">
<h3 id="claim-${n}-h"><a class="anchor" href="#claim-${n}">Claim ${n}</a> ${verdictBadge(claim)} <span class="conf">${confidenceText(claim.verification.confidence)}</span>${flaggedNote(claim) ? h` <span class="flagged">${flaggedNote(claim)}</span>` : empty}</h3>
<p class="claim-text">${claim.text} ${cite(claim.paperId, refs, base)}</p>
${claimEvidence(report, claim, refs, base)}
</article></li>`;
  });

  const main = h`<article class="report ${VERDICT_CLASS(report)}">
<header class="report-head">
<p class="kicker">Research synthesis</p>
<h1>${report.title}</h1>
<p class="question"><span class="label">Question:</span> <q>${report.question}</q></p>
<p class="meta">Made ${report.createdAt.slice(0, 10)} · ${m.engine} engine · ${(report.timings.totalMs / 1000).toFixed(1)} s · report <code>${report.id}</code></p>
</header>
<nav class="toc" aria-label="Sections"><ul>
<li><a href="#answer">Answer</a></li><li><a href="#claims">Claims (${report.claims.length})</a></li>${findings.length > 0 ? h`<li><a href="#findings">Findings</a></li>` : empty}
<li><a href="#evidence-map">Evidence map</a></li><li><a href="#methodology">Methodology</a></li><li><a href="#references">References (${report.references.length})</a></li><li><a href="#downloads">Downloads</a></li>
</ul></nav>
<section id="answer" class="answer-section" aria-labelledby="answer-h">
<h2 id="answer-h">Answer</h2>
${line && report.answer ? h`<p class="bottom-line"><span class="badge" aria-hidden="true">${VERDICT_SYMBOL[report.answer.verdict]}</span> <strong>${line}</strong></p>` : empty}
<p class="answer-text">${withCitations(report.answer?.text || report.abstract, base, report.references.length)}</p>
${more ? h`<p class="abstract">${withCitations(more, base, report.references.length)}</p>` : empty}
<p class="quality"><strong>Quality ${report.qualityScore}/10</strong>${report.reviews.length > 0 ? ' from three reviewers:' : ''}</p>
${report.reviews.length > 0 ? h`<ul class="reviews">${report.reviews.map((r) => h`<li><strong>${r.reviewer}</strong> ${r.score}/10: ${r.rationale}</li>`)}</ul>` : empty}
</section>
<section id="claims" aria-labelledby="claims-h">
<h2 id="claims-h">Claims (${report.claims.length})</h2>
${report.claims.length === 0 ? h`<p>No claims could be extracted from the retrieved papers.</p>` : h`<ol class="claims-full">${claims}</ol>`}
</section>
${
  findings.length > 0
    ? h`<section id="findings" aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Findings table"><table class="findings"><caption>Numbers read from the papers, each found verbatim in its source</caption>
<thead><tr><th scope="col">Subject</th><th scope="col">Measure</th><th scope="col">Value</th><th scope="col">Condition</th><th scope="col">Source</th></tr></thead>
<tbody>${findings.map((f) => h`<tr><td>${f.subject}</td><td>${f.measure}</td><td class="value">${f.value}</td><td>${f.condition ?? ''}</td><td>${cite(f.paperId, refs, base)}</td></tr>`)}</tbody></table></div></section>`
    : empty
}
<section id="evidence-map" aria-labelledby="map-h">
<h2 id="map-h">Evidence map</h2>
${
  rows.length === 0
    ? h`<p>No claims, so no map.</p>`
    : h`${evidenceLegend()}
<div class="figure-scroll" tabindex="0" role="region" aria-label="Evidence map, scrolls sideways">${evidenceMapSvg(report)}</div>
<details class="map-table"><summary>The evidence map as a table</summary>
<table><caption>Papers for and against each claim</caption><thead><tr><th scope="col">Claim</th><th scope="col">Verdict</th><th scope="col">Source</th><th scope="col">For</th><th scope="col">Against</th></tr></thead>
<tbody>${rows.map((row) => {
        const claim = report.claims[row.claim - 1]!;
        const of = (kind: string) => [...row.marks].filter(([, k]) => k === kind).map(([n]) => `[${n}]`).join(' ') || '–';
        return h`<tr><th scope="row"><a href="#claim-${row.claim}">Claim ${row.claim}</a></th><td>${verdictBadge(claim)}</td><td>${of('source')}</td><td>${of('supports')}</td><td>${of('contradicts')}</td></tr>`;
      })}</tbody></table></details>`
}
</section>
<section id="methodology" aria-labelledby="method-h">
<h2 id="method-h">Methodology</h2>
<p>Every source was searched at once; records were merged by DOI, arXiv id, PMID and title, then screened and ranked.</p>
<figure class="prisma-figure"><div class="figure-scroll" tabindex="0" role="region" aria-label="PRISMA flow diagram">${prismaSvg(report)}</div>
<figcaption>PRISMA flow: ${m.identified} records identified → ${m.deduplicated} after de-duplication → ${m.screened} screened in → ${m.included} included.</figcaption></figure>
<ul class="prisma-text">${prismaSteps(report).map((s) => h`<li>${s.main}${s.side ? `; ${s.side}` : ''}${(s.sideDetails ?? []).length > 0 ? ` (${(s.sideDetails ?? []).join(', ')})` : ''}</li>`)}</ul>
<div class="table-scroll" tabindex="0" role="region" aria-label="Sources table"><table class="sources-table"><caption>Sources</caption>
<thead><tr><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Found</th><th scope="col">After de-duplication</th><th scope="col">Screened</th><th scope="col">Included</th></tr></thead>
<tbody>${m.sources.map(
    (s) =>
      h`<tr><th scope="row">${s.name}</th><td>${s.status}${s.error ? `: ${s.error}` : ''}</td><td>${s.found}</td><td>${s.deduplicated ?? '–'}</td><td>${s.screened ?? '–'}</td><td>${s.included ?? '–'}</td></tr>`,
  )}</tbody></table></div>
${
  selection
    ? h`<p>Claim selection: ${selection.sentences} complete sentences read; ${selection.notFindings} background, aim or method sentences, ${selection.offTopic} findings not about the question's exposure and outcome and ${selection.otherPopulation} about another population were left out; ${selection.claims} kept as claims.</p>`
    : empty
}
<h3>Limitations</h3>
${report.limitations.length > 0 ? h`<ul>${report.limitations.map((l) => h`<li>${l}</li>`)}</ul>` : h`<p>None noted.</p>`}
<h3>Gaps</h3>
${report.gaps.length > 0 ? h`<ul>${report.gaps.map((g) => h`<li>${g}</li>`)}</ul>` : h`<p>None detected: every key term of the question is addressed by at least one claim.</p>`}
</section>
<section id="references" aria-labelledby="refs-h">
<h2 id="refs-h">References (${report.references.length})</h2>
<ol class="references">${report.references.map((ref, i) => h`<li id="ref-${i + 1}">${referenceBody(ref)}</li>`)}</ol>
</section>
<section id="downloads" aria-labelledby="downloads-h">
<h2 id="downloads-h">Downloads</h2>
<ul class="downloads"><li><a href="${download('md')}" download>Markdown</a> (the full report)</li><li><a href="${download('json')}" download>JSON</a> (schema version 1)</li><li><a href="${download('bib')}" download>BibTeX</a> (the references)</li></ul>
</section>
</article>`;
  return layout({ title: `${report.title} · Research synthesis`, main, wide: true });
}

/** The page asking for the access token. */
export function accessPage(view: { next: string; wrong?: boolean }): string {
  const main = h`<h1>Access token</h1>
<p>This page is shared with a signed link or the access token. Enter the token the bot's admin gave you.</p>
${view.wrong ? h`<p class="notice error" role="alert">That token is not right.</p>` : empty}
<form class="access" method="post" action="/access">
<input type="hidden" name="next" value="${view.next}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Open</button>
</form>`;
  return layout({ title: 'Access token · Research synthesis', main });
}

/** An error page: 404, 403, 429. */
export function errorPage(title: string, text: string): string {
  return layout({ title: `${title} · Research synthesis`, main: h`<h1>${title}</h1><p>${text}</p><p><a href="/">Ask a question</a></p>` });
}

/** Cancel's confirmation, for a page without its script (the script confirms in place). */
export function cancelConfirmPage(runId: string): string {
  return layout({
    title: 'Cancel the run? · Research synthesis',
    main: h`<h1>Cancel the run?</h1><p>The run stops; what it found so far is not kept.</p><form method="post" action="/runs/${runId}/cancel"><input type="hidden" name="confirm" value="1"><button type="submit">Cancel the run</button> <a href="/">Keep it running</a></form>`,
  });
}
