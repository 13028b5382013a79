/**
 * Tokenising and stemming for lexical ranking and matching. Porter stemming comes from the `stemmer`
 * package; the tokenizer keeps decimals (`1.8`), scores (`pass@1`) and sizes (`70b`) whole.
 */
import { stemmer } from 'stemmer';

// A token: letters/digits, optionally joined by `@`, `.`, `+` or an apostrophe inside the token.
const TOKEN = /[\p{L}\p{N}]+(?:[@.+'’][\p{L}\p{N}]+)*/gu;

/** English function words and question words that carry no topic. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are aren as at be because been before being below ' +
    'between both but by can cannot could couldn did didn do does doesn doing don down during each few for from ' +
    'further had hadn has hasn have haven having he her here hers herself him himself his how i if in into is isn ' +
    'it its itself just let me more most mustn my myself nor of off on once only or other ought our ours ourselves ' +
    'out over own same shan she should shouldn so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was wasn we were weren what when where which while ' +
    'who whom why will with won would wouldn you your yours yourself yourselves also may might must shall whether ' +
    'upon within without via per thus hence however therefore among amongst whose'
  ).split(' '),
);

/** Lower-cased tokens of `text`, in order, stopwords included. */
export function tokenize(text: string): string[] {
  const tokens = text.toLowerCase().replace(/’/g, "'").match(TOKEN) ?? [];
  // Most tokens have no apostrophe: a test instead of a regex replace per token (indexing tokenises millions).
  for (let i = 0; i < tokens.length; i++) if (tokens[i]!.endsWith("'s")) tokens[i] = tokens[i]!.slice(0, -2);
  return tokens;
}

const stemCache = new Map<string, string>();

/** Porter stem of one lower-cased token; numbers and symbol tokens are left as they are. */
export function stem(token: string): string {
  let cached = stemCache.get(token);
  if (cached === undefined) {
    cached = !/^\p{L}+$/u.test(token) || token.length <= 3 ? token : stemmer(token);
    if (stemCache.size > 200_000) stemCache.clear();
    stemCache.set(token, cached);
  }
  return cached;
}

/** Each token's index term, or null for a stopword: one lookup per token when indexing a corpus. */
const termCache = new Map<string, string | null>();

/** Index terms of `text`: tokens without stopwords, stemmed. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    let term = termCache.get(token);
    if (term === undefined) {
      term = STOPWORDS.has(token) ? null : stem(token);
      if (termCache.size > 200_000) termCache.clear();
      termCache.set(token, term);
    }
    if (term !== null) out.push(term);
  }
  return out;
}

/** The distinct index terms of `text`. */
export function termSet(text: string): Set<string> {
  return new Set(terms(text));
}
