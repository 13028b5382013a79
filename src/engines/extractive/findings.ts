/**
 * Numeric findings without a model: the numbers a results sentence reports, each kept with what it
 * measures. Lexical: shapes of numbers (percentages, effect sizes with confidence intervals, means ±
 * SD, sample sizes, scores next to a metric) are found with the patterns of `findings-lexicon.ts`, and
 * the words around each one give its subject, measure and condition.
 *
 * Conventions: `value` is always a verbatim substring of the (whitespace-normalised) sentence, so the
 * core's `checkFindings` keeps it; a p-value is not a finding of its own but goes, verbatim, into the
 * `condition` of the finding it follows (`BigCodeBench; P = .003`); ages in inclusion criteria,
 * dates, citation markers and section numbers are never read as findings.
 */
import type { Finding } from '../../model.js';
import { normalizeWhitespace } from '../../text/sanitize.js';
import { containsText, sameText, sentenceContext, stripDeterminer, tailPhrase, type SentenceContext } from './findings-context.js';
import {
  BENCHMARK, COUNT, DOSE, DURATION, ESTIMATE, FREE_NUM, GENERIC_SUBJECT, INTERVAL_TAIL, LABELLED_RATIO, METRIC, MODEL_SIZE, N_EQUALS, PEOPLE, PERCENT, PERCENT_RANGE, PLUS_MINUS, P_VALUE, RATIO_LABEL, TUPLE,
  UNIT_TAIL, VERSUS_TAIL, isBenchmarkName, maskNonResults, ratioName,
} from './findings-lexicon.js';

export { compareScaling, sameQuantity, scalingDisagreements, sharedStep } from './findings-scaling.js';
import { nameKey } from './findings-scaling.js';
export type { ScalingSeries, ScalingStep, ScalingDisagreement } from './findings-scaling.js';

/** Input of {@link extractFindings}. */
export interface FindingInput {
  paperId: string;
  /** One sentence of the paper, verbatim. */
  sentence: string;
  /** The paper's title: names the subject when the sentence says only "the model" or "treatment". */
  title?: string;
  /** The question's terms or facets (exposures, compared things); one found in the sentence or title can be the subject. */
  subjectHints?: readonly string[];
}

type Kind = 'ratio' | 'percent' | 'score' | 'mean' | 'count' | 'n';

interface Hit {
  start: number;
  end: number;
  kind: Kind;
  /** Where the hit's label starts (`odds ratio 0.88` starts at `odds`), when it has one before the number. */
  labelStart?: number;
  label?: string;
  /** `HR for light smokers`: the words after `for`. */
  forWhat?: string;
  /** The counted group of a sample size. */
  group?: string;
}

const OUTCOME_ROLES = new Set(['of', 'on']);
const SUBJECT_ROLES = new Set(['for', 'with', 'among', 'both', 'either', 'by', '']);
const PEOPLE_RE = new RegExp(String.raw`\b${PEOPLE}\b`, 'i');

/**
 * Reads the numbers a results sentence reports and keeps each with its subject, measure and condition.
 * Several numbers give several findings; a sentence without a result-shaped number gives none.
 */
export function extractFindings(input: FindingInput): Finding[] {
  const text = normalizeWhitespace(input.sentence);
  if (!/\d/.test(text)) return [];
  const masked = maskNonResults(text);
  const pValues = [...masked.matchAll(P_VALUE)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const hits = scanHits(text, masked, pValues);
  if (hits.length === 0) return [];
  const ctx = sentenceContext(text, input);
  const out: { finding: Finding; end: number }[] = [];
  let previousRole: 'subject' | 'outcome' | undefined;
  hits.forEach((hit, i) => {
    const prevEnd = i > 0 ? hits[i - 1]!.end : 0;
    const lead = text.slice(prevEnd, hit.labelStart ?? hit.start);
    const value = text.slice(hit.start, hit.end);
    const after = text.slice(hit.end, hits[i + 1]?.start ?? text.length);
    const anchor = lead.trimEnd().endsWith('(') ? tailPhrase(lead.trimEnd().slice(0, -1)) : undefined;
    let role: 'subject' | 'outcome' | undefined;
    if (anchor) {
      role = ['and', 'or', ','].includes(anchor.role) ? previousRole : OUTCOME_ROLES.has(anchor.role) ? 'outcome' : SUBJECT_ROLES.has(anchor.role) ? 'subject' : undefined;
      if (ctx.hints.some((h) => sameText(h, anchor.phrase))) role = 'subject';
      if (role) previousRole = role;
    }
    const subjectAnchor = role === 'subject' ? anchor?.phrase : undefined;
    const outcomeAnchor = role === 'outcome' ? anchor?.phrase : undefined;
    const previous = out.at(-1)?.finding;
    const measure = measureOf(hit, { text, lead, after, outcomeAnchor, ctx, previous, value });
    const subjects = subjectsOf(hit, i, hits, { text, lead, after, subjectAnchor, ctx, measure, previous, value });
    const condition = conditionOf(text, hit, lead, after, ctx);
    for (const subject of subjects) {
      out.push({ finding: { paperId: input.paperId, subject, measure, value, ...(condition ? { condition } : {}), quote: text }, end: hit.end });
    }
  });
  // A p-value qualifies the finding just before it.
  for (const p of pValues) {
    if (hits.some((h) => h.start <= p.start && p.end <= h.end)) continue;
    const owners = out.filter((o) => o.end <= p.start);
    const last = owners.at(-1);
    if (!last) continue;
    const pText = text.slice(p.start, p.end);
    for (const o of owners.filter((x) => x.end === last.end)) {
      o.finding.condition = o.finding.condition ? `${o.finding.condition}; ${pText}` : pText;
    }
  }
  const seen = new Set<string>();
  return out
    .map((o) => o.finding)
    .filter((f) => {
      const k = `${modelKey(f.subject)}\u0000${f.measure}\u0000${f.value}`;
      return !seen.has(k) && seen.add(k);
    });
}

function scanHits(text: string, masked: string, reserved: { start: number; end: number }[]): Hit[] {
  const hits: Hit[] = [];
  const taken: { start: number; end: number }[] = [];
  const add = (hit: Hit): boolean => {
    const [start, end] = balance(text, hit.start, hit.end);
    const clash = (t: { start: number; end: number }) => start < t.end && end > t.start;
    // A p-value may sit inside a value's brackets, never across its edge.
    if (end <= start || taken.some(clash) || reserved.some((p) => clash(p) && (p.start < start || p.end > end))) return false;
    taken.push({ start: hit.labelStart ?? start, end });
    hits.push({ ...hit, start, end });
    return true;
  };
  const tail = new RegExp(`^${INTERVAL_TAIL}`);
  for (const m of masked.matchAll(LABELLED_RATIO)) {
    const start = m.index + m[0].length - m[3]!.length;
    const t = masked.slice(start + m[3]!.length).match(tail);
    add({ start, end: start + m[3]!.length + (t ? t[0].length : 0), kind: 'ratio', labelStart: m.index, label: ratioName(m[1]!), ...(m[2] ? { forWhat: m[2].trim() } : {}) });
  }
  for (const m of masked.matchAll(PLUS_MINUS)) add({ start: m.index, end: m.index + m[0].length, kind: 'mean' });
  for (const m of masked.matchAll(PERCENT_RANGE)) {
    // The bounds of an interval belong to its estimate (`41 % (95% CI, 18%-58%)`).
    if (/(?:CI|intervals?|UI)\]?\)?\s*[,:=]?\s*$|%\s*\(\s*$/.test(masked.slice(0, m.index))) continue;
    add({ start: m.index, end: m.index + m[0].length, kind: 'percent' });
  }
  for (const m of masked.matchAll(PERCENT)) {
    // `95% CI` names an interval; it is not a result.
    if (/^\s*(?:confidence|uncertainty|CI\b|UI\b|C\.I\.)/.test(masked.slice(m.index + m[0].length))) continue;
    add({ start: m.index, end: m.index + m[0].length, kind: 'percent' });
  }
  for (const m of masked.matchAll(ESTIMATE)) {
    const label = labelBefore(masked, m.index);
    add({ start: m.index, end: m.index + m[0].length, kind: label ? 'ratio' : 'percent', ...(label ? { label } : {}) });
  }
  for (const m of masked.matchAll(TUPLE)) {
    const start = m.index + m[0].indexOf(m[1]!);
    const label = labelBefore(masked, m.index);
    if (label) add({ start, end: start + m[1]!.length, kind: 'ratio', label });
  }
  const codeContext = METRIC_TEST.test(masked) || MODEL_SIZE_TEST.test(masked);
  // Scores without a percent sign count only next to a metric or a benchmark.
  for (const m of masked.matchAll(new RegExp(`(${METRIC.source})\\s*(?:of|=|:|was|is|at)?\\s*(?:about\\s+)?(${FREE_NUM})(?!\\s*%)`, 'gi'))) {
    const start = m.index + m[0].length - m[2]!.length;
    add({ start, end: start + m[2]!.length, kind: 'score' });
  }
  for (const m of masked.matchAll(new RegExp(`(${FREE_NUM})(?!\\s*%)(?=\\s+(?:${METRIC.source}\\s+)?(?:on|in)\\s+(?:the\\s+)?([A-Z][\\w+-]*))`, 'g'))) {
    if (isBenchmarkName(m[2]!, codeContext)) add({ start: m.index, end: m.index + m[1]!.length, kind: 'score' });
  }
  // A list continues a score: `pass@1 of 28.7, 32.0 and 37.1`.
  for (let i = 0; i < hits.length; i++) {
    const hit = hits[i]!;
    if (hit.kind !== 'score') continue;
    const next = masked.slice(hit.end).match(new RegExp(`^\\s*(?:,\\s*(?:and\\s+|or\\s+)?|\\s+and\\s+|\\s+or\\s+)(${FREE_NUM})(?!\\s*%)`));
    if (next) add({ start: hit.end + next[0].length - next[1]!.length, end: hit.end + next[0].length, kind: 'score' });
  }
  for (const m of masked.matchAll(COUNT)) {
    add({ start: m.index, end: m.index + m[1]!.length, kind: 'count', group: m[2]!.trim() });
  }
  for (const m of masked.matchAll(N_EQUALS)) add({ start: m.index, end: m.index + m[0].length, kind: 'n' });
  hits.sort((a, b) => a.start - b.start);
  const comparable = !MODEL_SIZE_TEST.test(masked);
  for (const hit of hits) {
    if (!comparable || !['percent', 'mean', 'score'].includes(hit.kind)) continue;
    // `11.3 % vs 16.3%` is one finding: the second number is the comparison group's.
    let m: RegExpMatchArray | null;
    while ((m = masked.slice(hit.end).match(VERSUS_TAIL))) hit.end += m[0].length;
    const unit = hit.kind === 'mean' ? masked.slice(hit.end).match(UNIT_TAIL) : null;
    if (unit && /\d\s*$/.test(masked.slice(0, hit.end))) hit.end += unit[0].length;
  }
  return hits.filter((h, i) => !hits.slice(0, i).some((p) => p.end > h.start));
}

const METRIC_TEST = new RegExp(METRIC.source, 'i');
const MODEL_SIZE_TEST = new RegExp(MODEL_SIZE.source);

/** Widens or narrows a span so its brackets balance (`0.59 (95% CI, 0.43-0.82` takes its `)`). */
function balance(text: string, start: number, end: number): [number, number] {
  let s = text.slice(start, end);
  const count = (c: string) => s.split(c).length - 1;
  for (const [open, close] of [['(', ')'], ['[', ']']] as const) {
    while (count(close) > count(open) && s.endsWith(close)) s = s.slice(0, -1).trimEnd();
    if (count(open) > count(close) && text[start + s.length] === close) s += close;
    // `1.49 (95% CI, 0.84 to 2.64; P=0.17)`: the bracket closes after the p-value, which then stays inside the value.
    const closing = text.slice(start + s.length).match(/^[;,]\s*[Pp]\s*[=<>≤≥][^()]{0,20}\)/);
    if (count(open) > count(close) && closing) s += closing[0];
  }
  s = s.replace(/[\s,;]+$/, '');
  return [start, start + s.length];
}

function labelBefore(masked: string, index: number): string | undefined {
  const last = [...masked.slice(0, index).matchAll(new RegExp(RATIO_LABEL, 'g'))].at(-1);
  return last ? ratioName(last[0]) : undefined;
}

interface MeasureArgs {
  text: string;
  lead: string;
  after: string;
  outcomeAnchor: string | undefined;
  ctx: SentenceContext;
  previous: Finding | undefined;
  value: string;
}

function measureOf(hit: Hit, a: MeasureArgs): string {
  if (hit.kind === 'count') return /studies|trials|cohorts/.test(hit.group ?? '') ? 'number of studies' : 'sample size';
  if (hit.kind === 'n') return 'sample size';
  if (hit.kind === 'ratio') {
    const label = hit.label ?? 'ratio';
    const forWhat = hit.forWhat && !PEOPLE_RE.test(hit.forWhat) ? hit.forWhat : undefined;
    // `The risk ratio for CHD, adjusted for age, was 1.16 (95% CI ...)`: the label is in the lead, not the hit.
    const inLead = hit.labelStart === undefined ? a.lead.match(new RegExp(`(${RATIO_LABEL}\\s+(for|of)\\s+[^,;()]+?)(?=\\s+(?:for|in|among|with|was|were|by)\\b|\\s*[,;(]|$)`)) : null;
    const leadFor = inLead?.[2] === 'for' ? inLead[1]!.replace(/^.*?\sfor\s+/, '') : undefined;
    const outcome = a.outcomeAnchor ?? forWhat ?? (leadFor && !PEOPLE_RE.test(leadFor) ? leadFor : undefined);
    if (outcome) return `${outcome} (${label})`;
    if (inLead?.[2] === 'of') return stripDeterminer(inLead[1]!);
    if (a.previous?.measure.endsWith(`(${label})`)) return a.previous.measure;
    const phrase = a.text.match(/\b((?:relative |absolute )?(?:risk|odds|hazard|incidence|rates?) of [^,;()]+?)(?=\s+(?:for|in|among|with|was|were|by|over|after|during|at|compared|versus|vs|than)\b|\s*[(,;]|$)/i)?.[1];
    if (phrase) return phrase.toLowerCase().startsWith(label) ? phrase : `${phrase} (${label})`;
    return label;
  }
  const lead = a.lead.trimEnd();
  // `11.3 % vs 16.3%` right after a finding, in brackets: the groups' values of the same quantity.
  if (isGroupValues(lead, a.value) && a.previous) {
    return a.previous.measure.replace(/\s*\((?:reduction|increase|absolute reduction)\)$/, '');
  }
  const change = lead.match(/\b(reduc|decreas|lower|cut|increas|improv|rais)\w*\s+(.+?)\s+by$/i);
  if (change) {
    const kind = /^(?:increas|improv|rais)/i.test(change[1]!) ? 'increase' : /percentage points/.test(a.value) ? 'absolute reduction' : 'reduction';
    return `${stripDeterminer(change[2]!)} (${kind})`;
  }
  const comparative = a.after.match(/^\s*(lower|higher|greater|smaller|reduced|increased)\s+([^,;()]{2,40}?)(?=\s+(?:among|in|at|for|with|than|of|was|were)\b|\s*[,;(]|$)/);
  if (comparative) return `${comparative[1]} ${comparative[2]}`;
  const metric = [...lead.matchAll(METRIC)].at(-1)?.[0] ?? a.after.match(new RegExp(`^\\s*(${METRIC.source})`, 'i'))?.[1] ?? a.text.match(METRIC)?.[0];
  if (metric) return metric;
  if (/^\s*on\s+(?:the\s+)?[A-Z]/.test(a.after)) return 'score';
  const ofLead = lead.match(/^(.*?)\s*(?:\b(of)|\b(was|were|is|are|reached)|:|=|\bat)$/);
  if (ofLead) {
    // `The mean number of medications per patient was 8.62 ± 7.54`: the whole noun phrase before the verb.
    const verbPhrase = ofLead[3] ? stripDeterminer(ofLead[1]!.split(/[,;(]/).at(-1)!.trim()) : '';
    const p = verbPhrase && verbPhrase.split(' ').length <= 10 ? verbPhrase : tailPhrase(ofLead[1]!).phrase;
    if (cleanMeasure(p)) return cleanMeasure(p);
  }
  const share = a.text.slice(hit.end).match(/^\s*(?:\([^)]*\)\s*)?of\s+([A-Za-z][\w -]{2,60}?)(?=[,;.)]|\s+(?:and|in|with|was|were)\b|$)/);
  if (share && cleanMeasure(share[1]!)) return `${cleanMeasure(share[1]!)} (share)`;
  if (hit.kind === 'score') return 'score';
  return cleanMeasure(tailPhrase(lead).phrase) || (hit.kind === 'mean' ? 'mean ± SD' : 'percentage');
}

interface SubjectArgs {
  text: string;
  lead: string;
  after: string;
  subjectAnchor: string | undefined;
  ctx: SentenceContext;
  measure: string;
  previous: Finding | undefined;
  value: string;
}

function subjectsOf(hit: Hit, index: number, hits: Hit[], a: SubjectArgs): string[] {
  if (hit.kind === 'count' && hit.group) return [hit.group.replace(/^(?:randomized|randomised|eligible)\s+/, '')];
  if (hit.kind === 'n') {
    const group = a.lead.match(new RegExp(String.raw`\b(${PEOPLE}(?:\s+[^,;()]{1,50})?)\s*\($`, 'i'));
    if (group) return [group[1]!.trim()];
  }
  const prev = a.previous;
  if (prev && isGroupValues(a.lead, a.value)) return [a.ctx.comparator && !prev.subject.includes(' vs ') ? `${prev.subject} vs ${a.ctx.comparator}` : prev.subject];
  const { mentions } = a.ctx;
  // A model named with its size owns a score (a metric or a benchmark), not any percentage near it.
  const isScore = a.measure === 'score' || new RegExp(`^(?:${METRIC.source})$`, 'i').test(a.measure);
  if (mentions.length > 0 && isScore && ['percent', 'score'].includes(hit.kind)) {
    const scores = hits.filter((h) => h.kind === hit.kind);
    const first = scores[0]!;
    const last = scores.at(-1)!;
    // `CodeLlama-7B, 13B, 34B and 70B reach 28.7%, 32.0%, 37.1% and 44.0%`: pair the lists in order.
    if (scores.length === mentions.length && scores.length > 1 && (mentions.every((m) => m.end <= first.start) || mentions.every((m) => m.start >= last.end))) {
      return [mentions[scores.indexOf(hit)]!.text];
    }
    // `CodeLlama-34B and CodeLlama-70B both reach 36.9%`: one value for every model named.
    if (scores.length === 1 && /\b(?:both|each|all|every)\b/.test(a.text)) {
      const named = new Map(mentions.filter((m) => m.end <= hit.start).map((m) => [modelKey(m.text), m.text]));
      if (named.size > 1) return [...named.values()];
    }
    const prevEnd = index > 0 ? hits[index - 1]!.end : 0;
    const following = mentions.find((m) => m.start >= hit.end && /^\s*(?:pass@\d+\s*)?(?:on\s+[\w+-]+\s*)?(?:for|by|with|from)\s+(?:the\s+)?$/.test(a.text.slice(hit.end, m.start)));
    if (following) return [following.text];
    const inLead = mentions.filter((m) => m.start >= prevEnd && m.end <= hit.start).at(-1);
    const earlier = mentions.filter((m) => m.end <= hit.start).at(-1);
    const chosen = inLead ?? earlier ?? mentions[0]!;
    return [chosen.text];
  }
  if (a.subjectAnchor) return [a.subjectAnchor];
  if (hit.forWhat && PEOPLE_RE.test(hit.forWhat)) return [hit.forWhat];
  const forPeople = a.lead.match(new RegExp(`${RATIO_LABEL}\\s+for\\s+([^,;()]+?)(?=\\s+(?:was|were|is)\\b|\\s*[,;(]|$)`))?.[1];
  if (forPeople && PEOPLE_RE.test(forPeople)) return [forPeople.trim()];
  const clauseFor = a.lead.match(/\bfor\s+([^,;()]{2,40}),\s*$/);
  if (clauseFor) return [stripDeterminer(clauseFor[1]!)];
  return [fallbackSubject(a.text, a.ctx, a.measure)];
}

/** The sentence's subject, unless it is generic or the measure itself; then a hint or the title's name. */
function fallbackSubject(text: string, ctx: SentenceContext, measure: string): string {
  const main = ctx.main;
  const label = new RegExp(`^(?:${RATIO_LABEL})$|^(?:${METRIC.source})$`, 'i');
  if (main && !GENERIC_SUBJECT.test(main) && !label.test(main) && !sameText(main, measure) && !main.includes(measure)) return main;
  const hint = ctx.hints.find((h) => containsText(text, h)) ?? (ctx.titleName && ctx.hints.find((h) => containsText(ctx.titleName!, h)));
  return hint || ctx.titleName || main || 'not named';
}

function conditionOf(text: string, hit: Hit, lead: string, after: string, ctx: SentenceContext): string | undefined {
  const parts: string[] = [];
  const codeContext = ctx.mentions.length > 0 || METRIC_TEST.test(text);
  const benchmarks = (s: string) => [...s.matchAll(BENCHMARK)].map((m) => m[1]!).filter((b) => isBenchmarkName(b, codeContext));
  const near = benchmarks(after.split(/\band\b|[;]/)[0]!)[0] ?? benchmarks(lead).at(-1);
  const all = [...new Set(benchmarks(text))];
  const benchmark = near ?? (all.length === 1 ? all[0] : undefined);
  if (benchmark && hit.kind !== 'count' && hit.kind !== 'n') parts.push(benchmark);
  const dose = text.match(DOSE)?.[0];
  if (dose && hit.kind !== 'count' && hit.kind !== 'n') parts.push(dose);
  const durations = [...text.matchAll(DURATION)].map((m) => m[1]!);
  const duration = [...after.matchAll(DURATION)][0]?.[1] ?? (durations.length === 1 ? durations[0] : undefined);
  if (duration && hit.kind !== 'count') parts.push(duration);
  const population = text.match(new RegExp(String.raw`\b(?:in|among)\s+((?:[a-z][\w-]*\s+){0,3}${PEOPLE})\b`))?.[1];
  if (population && hit.kind !== 'count' && hit.kind !== 'n') parts.push(population);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** `(11.3 % vs 16.3%` right after a finding: the compared groups' values of the finding's quantity. */
const FILLER = /^(?:them|it|those|these|the|a|an|only|about|approximately|nearly|almost|least|at|than|where|there|which|who|that|those|respectively|versus|vs\.?|over|under|up|to|[~∼≈<>≤≥]+)$/i;

/** A measure phrase without filler words at either end; empty when nothing is left, or it is a number. */
function cleanMeasure(phrase: string): string {
  const words = phrase.split(/\s+/).filter(Boolean);
  while (words.length > 0 && FILLER.test(words[0]!)) words.shift();
  while (words.length > 0 && FILLER.test(words.at(-1)!)) words.pop();
  const out = words.join(' ');
  return /^[\d_]|\d\s*%|^.{0,2}$/.test(out) || !/[a-z]{3}/i.test(out) || /^[A-Z][a-z]*$/.test(out) && FILLER.test(out) ? '' : out;
}

/** `CodeLlama-34B` and `Code Llama 34B` name one model. */
const modelKey = nameKey;

function isGroupValues(lead: string, value: string): boolean {
  return /^[^()]{0,60}\($/.test(lead.trimEnd()) && /\s(?:vs\.?|versus)\s/.test(value);
}
