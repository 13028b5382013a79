/**
 * The words around a number in a results sentence: the sentence's grammatical subject, the models it
 * names with a size, the title's name for the paper's subject, and phrase helpers used by `findings.ts`.
 */
import { normalizeWhitespace } from '../../text/sanitize.js';
import { stripSectionLabel } from '../../text/sentences.js';
import { DOSE, MAIN_VERB, METRIC, MODEL_SIZE, MODEL_VARIANT, NOT_NAME, isBenchmarkName } from './findings-lexicon.js';

/** A model named with its size, and where. */
export interface Mention { start: number; end: number; text: string }

const BOUNDARY_WORDS = new Set([
  'and', 'or', 'of', 'for', 'with', 'in', 'among', 'than', 'both', 'either', 'to', 'by', 'versus', 'vs', 'vs.', 'on', 'at',
  'from', 'over', 'after', 'reduced', 'decreased', 'increased', 'lowered', 'improved', 'showed', 'was', 'were', 'is', 'are',
  'had', 'has', 'reached', 'reaches', 'accounted', 'observed', 'found',
]);

const TREATMENT_WRAPPER = /^(?:treatment|therapy|supplementation|administration|use|prophylaxis|intervention)\s+(?:with|of)\s+/i;

const DOSE_PREFIX = /^\d+(?:\.\d+)?\s?(?:mg|g|µg|μg|mcg|IU|mL)(?:\s?\/\s?\w+)?\s+(?:of\s+)?/i;

const LEADING_CLAUSE = /^(?:On|In|For|At|Across|Overall|However|Moreover|Notably|Compared|After|Over|Unlike|With|When|By|Similarly|Finally|Interestingly|Importantly|Here|Among|Of|During|Since|Until|Before|Following|Within|Despite|Although|Whereas)\b/;

/** The phrase at the end of `s`, back to a boundary word or punctuation, and that boundary (`,` or a word; `` at the start). */
export function tailPhrase(s: string): { phrase: string; role: string } {
  const words = s.trim().split(/\s+/).filter(Boolean);
  const taken: string[] = [];
  let role = '';
  while (words.length > 0 && taken.length < 7) {
    const w = words.pop()!;
    if (BOUNDARY_WORDS.has(w.toLowerCase())) {
      role = w.toLowerCase();
      break;
    }
    if (/[,;:)\]]$/.test(w) || /^[([]/.test(w)) {
      role = ',';
      break;
    }
    taken.unshift(w);
  }
  return { phrase: stripDeterminer(taken.join(' ').replace(/\s+respectively$/, '')), role };
}

export function stripDeterminer(s: string): string {
  return s.replace(/^(?:the|a|an|our|their|its|this|these|significant|significantly)\s+/i, '').trim();
}

/** What a sentence and its paper say about who or what its numbers belong to. */
export interface SentenceContext {
  /** The caller's hints that can name a subject (metrics and benchmarks left out). */
  hints: string[];
  /** The sentence's grammatical subject. */
  main?: string;
  /** The name a title opens with (`Code Llama: ...`), or a hint the title contains. */
  titleName?: string;
  mentions: Mention[];
  /** What the sentence compares with (`placebo`). */
  comparator?: string;
}

/** Reads the sentence's subject, the models it names and the title's name for the paper's subject. */
export function sentenceContext(text: string, input: { title?: string; subjectHints?: readonly string[] }): SentenceContext {
  // A metric or a benchmark among the hints is what was measured, or where, never whose number it is.
  const hints = (input.subjectHints ?? []).map((h) => h.trim()).filter((h) => h.length > 1 && !isMeasureName(h));
  const title = input.title ? normalizeWhitespace(input.title) : '';
  const head = title.split(':')[0]!.trim();
  // `Code Llama: ...`, `Llama 2: ...` name a thing; `Effect of statins: ...` does not.
  const named = title.includes(':') && head.split(' ').length <= 4 && /.[A-Z]|\d/.test(head) && !isMeasureName(head);
  const titleName = named ? head : hints.find((h) => containsText(title, h));
  const comparator = text.match(/\b(?:compared with|compared to|versus|vs\.?|than)\s+(placebo|usual care|controls?|no treatment|[a-z][\w-]*)\b/)?.[1];
  const family = titleName ?? hints.find((h) => containsText(text, h) && !/\d/.test(h));
  return { hints, ...optional('main', mainSubject(text)), ...optional('titleName', titleName), mentions: modelMentions(text, family), ...optional('comparator', comparator) };
}

function isMeasureName(s: string): boolean {
  return new RegExp(`^(?:${METRIC.source})$`, 'i').test(s) || isBenchmarkName(s, false);
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

/** The sentence's grammatical subject, without wrappers (`Treatment with 5 mg/d of risedronate` → `risedronate`). */
export function mainSubject(text: string): string | undefined {
  const s = stripSectionLabel(text);
  const verb = s.match(MAIN_VERB);
  if (!verb || verb.index === undefined) return undefined;
  const parts = s.slice(0, verb.index).split(/,(?!\d{3})|\(/).map((p) => p.trim()).filter(Boolean);
  const part = parts.find((p) => !LEADING_CLAUSE.test(p)) ?? '';
  const np = stripDeterminer(part.replace(TREATMENT_WRAPPER, '').replace(DOSE_PREFIX, '').replace(DOSE, '').trim());
  // A count or a percentage (`Only 8.1%`, `1,435`) is not a subject.
  if (!np || /^\d|\d\s*%|^only\b/i.test(np) || !/[a-z]{2}/i.test(np)) return undefined;
  return np.split(' ').length <= 10 ? np : undefined;
}

/** Models named with a size (`Code Llama 70B`, `CodeLlama-34B-Instruct`); a bare `70B` borrows the last family named. */
export function modelMentions(text: string, defaultFamily: string | undefined): Mention[] {
  const mentions: Mention[] = [];
  let family = defaultFamily ?? '';
  for (const m of text.matchAll(MODEL_SIZE)) {
    const before = text.slice(0, m.index);
    const words = before.split(/(?<=[\s-])/);
    const name: string[] = [];
    // Walk back over capitalised words and version numbers: `Code Llama `, `Llama 2 `, `CodeLlama-`.
    while (words.length > 0 && name.length < 3) {
      const w = words.at(-1)!;
      const bare = w.replace(/[\s-]$/, '');
      if (!/^(?:[A-Z][\w.+]*|\d+(?:\.\d+)?)$/.test(bare) || NOT_NAME.has(bare) || /^\d+(?:\.\d+)?[BMK]$/.test(bare)) break;
      name.unshift(w);
      words.pop();
    }
    const variant = text.slice(m.index + m[0].length).match(MODEL_VARIANT);
    const ownName = name.join('').replace(/[\s-]$/, '');
    if (ownName && !/^\d/.test(ownName)) family = ownName;
    const end = m.index + m[0].length + (variant ? variant[0].length : 0);
    const spelled = ownName && !/^\d/.test(ownName) ? text.slice(m.index - name.join('').length, end) : family ? `${family} ${text.slice(m.index, end)}` : '';
    mentions.push({ start: m.index - (ownName ? name.join('').length : 0), end, text: spelled || `${text.slice(m.index, end)} model` });
  }
  return mentions;
}

/** Case-insensitive equality of trimmed strings. */
export function sameText(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** True when `needle` occurs in `haystack` as whole words, ignoring case. */
export function containsText(haystack: string, needle: string): boolean {
  const escaped = needle.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return escaped.length > 0 && new RegExp(`(?<![\\w])${escaped}(?![\\w])`, 'i').test(haystack);
}
