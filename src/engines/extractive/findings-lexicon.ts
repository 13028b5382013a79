/**
 * Patterns for reading numeric findings out of results sentences (see `findings.ts`): number shapes,
 * confidence-interval tails, effect-size labels, p-values, metrics, benchmarks, doses, durations, and
 * the spans that look like numbers but are not results (ages in inclusion criteria, years, citation
 * markers, section numbers).
 */

/** A number as abstracts write it: `1,097`, `44.0`, `.003`, `57·8` (Lancet's middle dot). */
export const NUM = String.raw`(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:[.·]\d+)?|[.·]\d+)`;
/** A number with an optional sign (`-0.84`, `−0.69`, `+25`). */
export const SNUM = String.raw`[-−+]?${NUM}`;
// Not glued to a word, a model size (`70B`), `pass@1`, a fraction (`15 /18`) or another number.
const LEFT = String.raw`(?<![\w@.·/])`;
const RIGHT = String.raw`(?![\w@]|[.·]\d)`;
/** {@link SNUM} standing alone. */
export const FREE_NUM = `${LEFT}${SNUM}${RIGHT}`;

const BOUND = String.raw`[-−]?${NUM}\s*%?`;
const TO = String.raw`\s*(?:to|-|–|—)\s*`;
const CI_LABEL = String.raw`95\s*(?:%|percent)\s*(?:confidence intervals?|uncertainty intervals?|CI|C\.I\.|UI)(?:\s*\[(?:CI|UI)\]|\s*\((?:CI|UI)\))?`;
/** What follows a point estimate: `, 95% confidence interval 0.81 to 0.96`, ` (95% CI, 0.43-0.82)`, ` (39·8-42·8)`. */
export const INTERVAL_TAIL = String.raw`(?:\s*[,;]?\s*[([]?\s*${CI_LABEL}\s*[,:=]?\s*${BOUND}(?:${TO}|\s*,\s*)${BOUND}(?:\s*[)\]])?|\s*\(\s*${BOUND}${TO}${BOUND}\s*\))`;
/** A bare estimate and interval in brackets after an outcome: `(0.70, 0.61 to 0.81)`; group 1 is the inside. */
export const TUPLE = new RegExp(String.raw`\(\s*(${SNUM}\s*,\s*${BOUND}${TO}${BOUND})\s*\)`, 'g');

/** Effect-size labels; {@link ratioName} turns a match into a readable name. */
export const RATIO_LABEL = String.raw`(?:(?:[Aa]djusted|[Pp]ooled|[Ss]ummary)\s+)?(?:[Oo]dds [Rr]atios?|[Rr]isk [Rr]atios?|[Rr]elative [Rr]isks?|[Hh]azard [Rr]atios?|(?:[Ii]ncidence )?[Rr]ate [Rr]atios?|a?ORs?|RRs?|a?HRs?|IRRs?)(?![\w-])`;
/** A label, an optional abbreviation in brackets, an optional `for <what>`, then the estimate (group 2). */
export const LABELLED_RATIO = new RegExp(
  String.raw`(${RATIO_LABEL})(?:\s*[[(](?:a?OR|RR|a?HR|IRR|CI)[\])])?(?:\s+for\s+([^,;()=:]{1,50}?))?\s*(?:was|were|is|of)?\s*[,:=]?\s*(${LEFT}${SNUM}${RIGHT})`,
  'g',
);

/** The readable name of an effect-size label (`RR` → `relative risk`). */
export function ratioName(label: string): string {
  const l = label.replace(/^(?:adjusted|pooled|summary)\s+/i, '');
  const adjusted = /^adjusted/i.test(label) || /^a(?:OR|HR)/.test(l) ? 'adjusted ' : '';
  if (/^a?ORs?$|odds/i.test(l)) return `${adjusted}odds ratio`;
  if (/^a?HRs?$|hazard/i.test(l)) return `${adjusted}hazard ratio`;
  if (/^IRRs?$|rate ratio/i.test(l)) return 'rate ratio';
  if (/risk ratio/i.test(l)) return 'risk ratio';
  return 'relative risk';
}

/** A p-value: `P = .003`, `P<.001`, `log-rank P = 0.59`, `p for group = 0.06`, `P = 6.2 × 10(-28)`, `P = 3e-8`. */
export const P_VALUE = /(?<![\w-])(?:log-rank\s+|two-sided\s+)?[Pp](?:\s+(?:for|value)(?:\s+[a-z]+)?)?\s*(?:=|<|>|≤|≥|<=|>=)\s*(?:0?[.·]\d+|\d(?:[.·]\d+)?)(?:\s*[×x]\s*10\s*(?:\(\s*[-−]\s*\d+\s*\)|\^?\s*[-−]\s*\d+)|[eE][-−]\d+)?/g;

/** Metrics that name what a score measures. */
export const METRIC = /(?<![\w-])(?:pass@\d+|exact[- ]match|(?:top-\d+ )?accuracy|F1(?:[- ]score)?|CodeBLEU|BLEU|win rate|success rate|resolve rate|solve rate|AUROC|AUC|sensitivity|specificity)(?![\w-])/gi;

/** Capitalised names after `on`/`in`: a benchmark when the name or the sentence looks like one. */
export const BENCHMARK = /\b(?:[Oo]n|[Ii]n|[Aa]cross)\s+(?:the\s+)?([A-Z][A-Za-z0-9+]*(?:-[A-Za-z0-9+]+)*)/g;
const BENCHMARK_NAME = /Bench|bench|Eval|EVAL|^MBPP|^APPS|^DS-1000|^MultiPL|^CRUX|^LiveCode|^GSM|^MATH$|^MMLU|QA$/;
const NOT_BENCHMARK = new Set(['CI', 'OR', 'RR', 'HR', 'SD', 'SE', 'IQR', 'US', 'USA', 'UK', 'EU']);

/** True when `name` reads as a benchmark, given whether the sentence talks about models or metrics. */
export function isBenchmarkName(name: string, codeContext: boolean): boolean {
  if (NOT_BENCHMARK.has(name) || /\d(?:\.\d+)?[BMK](?:$|-)/.test(name)) return false;
  if (BENCHMARK_NAME.test(name)) return true;
  // CamelCase or acronym-like names (`HumanEval`, `MBPP`) count only in a model/metric sentence.
  return codeContext && (name.replace(/[^A-Z0-9]/g, '').length >= 2 || /\d/.test(name));
}

/** A model size: `7B`, `1.5B`, `500M` (group 1 number, group 2 unit). */
export const MODEL_SIZE = /(?<![\w.])(\d+(?:\.\d+)?)\s?([BMK])(?![\w-]?(?:cells?|lymphocytes?)\b)(?![a-z0-9])/g;
/** Suffixes that name a variant of a sized model (`CodeLlama-70B-Instruct`). */
export const MODEL_VARIANT = /^[-\s](Instruct|Base|Python|Chat)\b/;

/** Nouns for people or study units that a count in front of them is the size of. */
export const PEOPLE = String.raw`(?:patients|participants|subjects|women|men|adults|children|infants|newborns|neonates|individuals|persons|people|volunteers|users|cases|controls|mothers|students|smokers|respondents|residents|veterans|athletes|girls|boys|pregnancies|families|households|employees|workers)`;
/** A count of people or studies: `2458 ambulatory postmenopausal women`, `35 randomized trials`. */
export const COUNT = new RegExp(
  String.raw`(?<![\w@.·/,])(\d{1,3}(?:[, \u2009]\d{3})+(?!\d)|\d+)((?:\s+[a-z][\w-]*){0,3}?\s+(?:${PEOPLE}|studies|trials|cohorts))\b(?!\s+per\b)`,
  'g',
);
/** `n = 2458`, `(n=73)`. */
export const N_EQUALS = new RegExp(String.raw`(?<![\w])[nN]\s*=\s*${NUM}(?![\w.])`, 'g');
const NOT_UNIT = String.raw`(?!(?:vs|versus|and|or|in|to|for|with|of|at|on|the|was|were|compared|respectively|per|than)\b)`;
const UNIT = String.raw`${NOT_UNIT}(?:[a-zµμ]+(?:\/[a-zA-Z0-9²]+)*|mm Hg)(?![\w])`;
/** A mean with its spread: `31.0 ± 5.2`, `59+/-14 msec`, `17 ± 10%`. */
export const PLUS_MINUS = new RegExp(
  String.raw`${LEFT}${SNUM}\s*(?:±|\+\/-|\+\/−|\+-)\s*${NUM}(?:\s*%|\s?${UNIT})?`,
  'g',
);
/** A range of percentages: `49%-100%`, `90 to 98%`, `75% to 90%`. */
export const PERCENT_RANGE = new RegExp(String.raw`${LEFT}${NUM}\s*%?\s*(?:-|–|to)\s*${NUM}\s*%`, 'g');
/** A percentage, with an optional interval (group 1 is the number). */
export const PERCENT = new RegExp(String.raw`${LEFT}(${SNUM})\s*(?:%|percent(?:age points)?\b)(?:${INTERVAL_TAIL})?`, 'g');
/** An estimate followed by an interval, of any kind. */
export const ESTIMATE = new RegExp(String.raw`${LEFT}${SNUM}(?:\s*%)?${INTERVAL_TAIL}`, 'g');
/** A further value after `vs`/`versus`: `11.3 % vs 16.3%`. */
export const VERSUS_TAIL = new RegExp(String.raw`^\s*(?:vs\.?|versus)\s+${SNUM}(?:\s*(?:±|\+\/-)\s*${NUM})?\s*%?`);
/** A unit after a mean ± SD chain (`kg/m²`). */
export const UNIT_TAIL = new RegExp(String.raw`^(?:\s?${UNIT}|\s*%)`);

/** A dose: `5 mg/d`, `70 mg weekly`, `1000 IU/d`. */
export const DOSE = /(?<![\w.])\d+(?:\.\d+)?\s?(?:mg|g|µg|μg|mcg|microg|IU|mL|ml)(?:\s?\/\s?(?:d|day|kg|wk|week))?(?:\s+(?:once |twice )?(?:daily|weekly|monthly|per day|per week|a day|a week))?(?![\w])/g;
/** A duration after `over`/`for`/`after`: group 1 is `3 years`. */
export const DURATION = /\b(?:over|for|after|during|within|at)\s+(?:the\s+first\s+)?(\d+(?:\.\d+)?\s*-?\s*(?:years?|months?|weeks?|days?)|(?:one|two|three|four|five|six|ten|twelve)\s+(?:years?|months?|weeks?|days?))\b/g;

const YEAR = String.raw`(?:1[89]\d\d|20\d\d)`;
const MONTH = String.raw`(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?`;
// Each of these is blanked out before numbers are read, so nothing inside it becomes a finding.
const NOT_RESULTS: readonly RegExp[] = [
  // Ages in inclusion criteria and descriptions: `aged 50 to 85 years`, `younger than 85 years`, `mean age 58.3 ± 19 years`.
  new RegExp(String.raw`\b(?:aged|ages?d?)\b[\s:,=]*(?:between\s+|of\s+)?(?:≥|>=|>|<|≤|<=)?\s*${NUM}(?:\s*(?:±|\+\/-)\s*${NUM})?(?:\s*(?:to|-|–|and)\s*${NUM})?(?:\s*(?:years?|yrs?|y)\b)?`, 'gi'),
  new RegExp(String.raw`\b(?:younger|older)\s+than\s+${NUM}(?:\s*(?:years?|yrs?))?`, 'gi'),
  new RegExp(String.raw`${NUM}(?:\s*(?:to|-|–)\s*${NUM})?\s*(?:years?|yrs?)\s*(?:of age|old|or older|or younger|and older|and over)`, 'gi'),
  new RegExp(String.raw`${NUM}(?:\s*(?:to|-|–)\s*${NUM})?-year-olds?`, 'gi'),
  // Dates: `between December 1993 and January 1998`, `in 2015`, `2005-2010`.
  new RegExp(String.raw`\b${MONTH}\s+(?:\d{1,2},?\s+)?${YEAR}\b`, 'g'),
  new RegExp(String.raw`\b(?:from|between)\s+${YEAR}\s*(?:-|–|to|and)\s*${YEAR}\b`, 'gi'),
  // A lone year, unless people follow it (`in 2010 women` is ambiguous; `of 2458 women` is a count).
  new RegExp(String.raw`\b(?:in|since|from|between|during|until|by|through|to|and|of|year)\s+${YEAR}\b(?!\s*${PEOPLE})`, 'gi'),
  new RegExp(String.raw`\b${YEAR}\s*(?:-|–)\s*${YEAR}\b`, 'g'),
  // Citation markers and cross-references: `[12]`, `[3, 4-6]`, `Table 2`, `Section 3.2`.
  /\[\d+(?:\s*[,–-]\s*\d+)*\]/g,
  // Superscript markers after a word or bracket, but not a unit's square (`kg/m²`).
  /(?<=[a-ln-z.,)\]])[¹²³⁴⁵⁶⁷⁸⁹⁰]+/g,
  /\b(?:Section|Sect\.|Table|Figure|Fig\.|Eq\.|Equation|Chapter|Appendix|Step|Phase|Stage|Grade|Type)\s*\d+(?:\.\d+)*\b/gi,
];

/** The sentence with every non-result number span replaced by `_` (same length, so offsets hold). */
export function maskNonResults(sentence: string): string {
  let masked = sentence;
  for (const re of NOT_RESULTS) masked = masked.replace(re, (m) => '_'.repeat(m.length));
  return masked;
}

/** Sentence-initial words that are capitalised but never part of a model name. */
export const NOT_NAME = new Set(['The', 'A', 'An', 'Our', 'This', 'These', 'Those', 'Its', 'Their', 'Both', 'At', 'On', 'In', 'For', 'With', 'While', 'Whereas', 'From', 'Compared', 'And', 'Of', 'To', 'By', 'We', 'All', 'Each', 'Only', 'Even', 'Scaling', 'Moving', 'Going']);
/** Grammatical subjects that say nothing (`the model`, `treatment`): a hint or the title names them better. */
export const GENERIC_SUBJECT = /^(?:(?:the|our|this|each|both)\s+)?(?:models?|treatment|therapy|intervention|drug|approach|method|system|it|we|they|results?|analysis|meta-analysis|study|trial|review|data|findings?)$/i;
/** Verbs that end a sentence's subject noun phrase. */
export const MAIN_VERB = /\s(?:significantly\s+|also\s+|further\s+|substantially\s+)?(?:reduced|reduces|decreased|decreases|increased|increases|improved|improves|lowered|lowers|raised|reaches|reached|achieves|achieved|attains|attained|scores|scored|obtains|obtained|outperforms|outperformed|matches|matched|gains|gained|rises|rose|falls|fell|drops|dropped|stays|stayed|remains|remained|shows|showed|was|were|is|are|had|has|did|does|yielded|yields|resulted|produced|solves|solved|accounted|enrolled)\b/;
