/**
 * The question's key terms and phrases, without a model. Model names and other capitalised
 * names (`Code Llama`, `BigCodeBench`), sized numbers (`7B`, `70B`), metrics (`pass@1`), acronyms and
 * `vitamin D`-style phrases are kept whole; question scaffolding and direction words are not key terms.
 */
import type { Plan } from '../engine.js';
import { STOPWORDS } from '../../text/tokens.js';

/** Words that frame a question rather than name its subject. */
const SCAFFOLD = new Set(
  (
    'effect effects affect affects affected impact impacts influence influences role roles relationship relation ' +
    'association associated associate link linked evidence study studies research literature review whether ' +
    'difference differences compare compared comparison versus vs change changes lead leads cause causes caused ' +
    'improve improves improved improvement increase increases increased reduce reduces reduced reduction decrease ' +
    'decreases decreased lower lowers higher raise raises better worse help helps work works make makes use using ' +
    'used know known current currently best good bad new way ways people patient patients human humans adult adults ' +
    'possible likely really actually any many much well can could would should will shall does did do is are was were ' +
    'there what which who how why when where whether tell say said show shows shown find found finding findings ' +
    'scaling scale scaled benefit benefits beneficial harm harms harmful safe safety effective effectiveness efficacy'
  ).split(' '),
);

/** Words kept as key terms even though they are in {@link SCAFFOLD} when they name the subject. */
const SUBJECT_WHEN_CAPITALISED = /^[A-Z]/;

const SPECIAL = [
  /\b[\p{L}][\p{L}\p{N}]*@\d+\b/gu, // pass@1, recall@10
  /\b\d+\([\p{L}\d]+\)[\p{L}\d]*/gu, // 25(OH)D, 1,25(OH)2D
  /\b\d+(?:\.\d+)?\s?[BMKbmk]\b(?![\p{L}])/gu, // 7B, 70B, 1.5B, 500M
  /\b[\p{Lu}][\p{L}\p{N}]*(?:[-.][\p{L}\p{N}]+)+\b/gu, // GPT-4, COVID-19, IL-6, Llama-3-70B
];

/** Splits the question into words with their original case, without punctuation or possessive 's. */
function words(question: string): string[] {
  // "25(OH)D" stays one word; otherwise letters and digits joined by @ . ' + -.
  return (question.match(/\d+\([\p{L}\p{N}]+\)[\p{L}\p{N}]*|[\p{L}\p{N}][\p{L}\p{N}@.'’+-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ?? []).map((w) => w.replace(/['’]s$/u, ''));
}

function isCapitalisedName(word: string): boolean {
  // BigCodeBench, HumanEval, Llama, BMI, mTOR: an upper-case letter that is not only the first of a plain word.
  return /[\p{Lu}]/u.test(word.slice(1)) || /^[\p{Lu}][\p{Ll}]+$/u.test(word);
}

/** The key terms, every search term and the query text of a question. Deterministic. */
export function planTerms(question: string, options: { sentenceStart?: boolean } = {}): Omit<Plan, 'facets'> {
  const sentenceStart = options.sentenceStart ?? true;
  const specials = new Set<string>();
  for (const re of SPECIAL) for (const m of question.matchAll(re)) specials.add(m[0].replace(/\s+/g, ''));

  const list = words(question);
  const phrases: string[] = [];
  const used = new Set<number>();
  // Runs of capitalised names (not the question's first word unless it is itself a name): "Code Llama".
  for (let i = 0; i < list.length; i++) {
    const w = list[i]!;
    if (sentenceStart && i === 0 && /^[\p{Lu}][\p{Ll}]+$/u.test(w)) continue;
    if (!isCapitalisedName(w) || STOPWORDS.has(w.toLowerCase())) continue;
    let j = i;
    while (j + 1 < list.length && isCapitalisedName(list[j + 1]!) && !STOPWORDS.has(list[j + 1]!.toLowerCase())) j++;
    if (j > i) {
      phrases.push(list.slice(i, j + 1).join(' '));
      for (let k = i; k <= j; k++) used.add(k);
      i = j;
    }
  }
  // "vitamin D", "type 2 diabetes", "factor VIII": a word followed by a one-letter, numeral or roman marker.
  for (let i = 0; i + 1 < list.length; i++) {
    const next = list[i + 1]!;
    const here = list[i]!.toLowerCase();
    if (used.has(i) || used.has(i + 1) || STOPWORDS.has(here) || SCAFFOLD.has(here)) continue;
    // "T cell", "B cells": a one-letter marker before its noun.
    if (/^[B-HJ-Z]$/.test(list[i]!) && /^\p{Ll}{3,}$/u.test(next) && !STOPWORDS.has(next) && !SCAFFOLD.has(next)) {
      phrases.push(`${list[i]} ${next}`);
      used.add(i).add(i + 1);
      continue;
    }
    if (/^(?:[A-Z]\d?|\d{1,2}|[IVX]{1,4})$/.test(next) && /^\p{L}{3,}$/u.test(list[i]!)) {
      const third = list[i + 2];
      const withNoun = third && /^\d{1,2}$/.test(next) && !STOPWORDS.has(third.toLowerCase()) && !SCAFFOLD.has(third.toLowerCase());
      phrases.push(withNoun ? `${list[i]} ${next} ${third}` : `${list[i]} ${next}`);
      used.add(i).add(i + 1);
      if (withNoun) used.add(i + 2);
    }
  }

  const keyTerms: string[] = [];
  const otherTerms: string[] = [];
  const add = (target: string[], term: string) => {
    if (![...keyTerms, ...otherTerms].some((t) => t.toLowerCase() === term.toLowerCase())) target.push(term);
  };
  for (const p of phrases) add(keyTerms, p);
  for (const s of specials) if (!phrases.some((p) => p.includes(s))) add(keyTerms, s);
  list.forEach((w, i) => {
    if (used.has(i)) return;
    const lower = w.toLowerCase();
    if (STOPWORDS.has(lower) || [...specials].some((s) => s.toLowerCase() === lower)) return;
    if (SCAFFOLD.has(lower) && !(i > 0 && SUBJECT_WHEN_CAPITALISED.test(w))) {
      add(otherTerms, w);
      return;
    }
    if (/^\d+$/.test(w) || (w.length < 3 && !/[\p{Lu}\p{N}]/u.test(w))) {
      add(otherTerms, w);
      return;
    }
    add(keyTerms, sentenceStart && i === 0 && /^[\p{Lu}][\p{Ll}]+$/u.test(w) ? lower : w);
  });

  const query = [...keyTerms, ...otherTerms.filter((t) => !SCAFFOLD.has(t.toLowerCase()))].join(' ');
  return { query: query || question, keyTerms, terms: [...keyTerms, ...otherTerms] };
}
