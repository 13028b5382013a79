/**
 * The parts of a question (or of a claim stated as a sentence), without a model: for an effect or
 * association question the exposure, the outcome, the population and the direction asked about; for
 * a comparison the things compared and the measure; otherwise an open question's topic.
 *
 * `Does vitamin D supplementation reduce fracture risk?` → exposure `vitamin D` (supplementation is
 * how it is given, not what it is), outcome `fracture`, direction -1, proposition
 * `vitamin D supplementation reduces fracture risk`. `Is it true that <claim>?` parses the claim.
 * Facet terms are weighed by how specific they are (background IDF, `text/idf.ts`); the most specific
 * term of a facet is its anchor.
 */
import type { Facets } from '../engine.js';
import { termIdf } from '../../text/idf.js';
import { splitSentences } from '../../text/sentences.js';
import { compileTerms, GENERIC_TERMS, type TermMatcher } from '../../text/match.js';
import { stem, STOPWORDS } from '../../text/tokens.js';
import { planTerms } from './plan-terms.js';

const spanKeyTerms = (span: string): string[] => planTerms(span, { sentenceStart: false }).keyTerms;

/** Verbs of effect and association, base form first; `dir` is what the question asks the outcome to do. */
const RELATIONS: readonly { forms: string[]; dir: -1 | 0 | 1; kind: 'effect' | 'association' }[] = [
  { forms: ['reduce', 'lower', 'decrease', 'prevent', 'inhibit', 'suppress', 'slow', 'delay', 'attenuate', 'alleviate', 'shorten', 'impair', 'diminish', 'block', 'protect against', 'protect from', 'lessen', 'cut', 'relieve', 'mitigate'], dir: -1, kind: 'effect' },
  { forms: ['increase', 'raise', 'elevate', 'enhance', 'promote', 'improve', 'boost', 'induce', 'cause', 'lead to', 'result in', 'extend', 'prolong', 'accelerate', 'exacerbate', 'stimulate', 'activate', 'upregulate', 'worsen', 'trigger', 'drive', 'contribute to', 'outperform'], dir: 1, kind: 'effect' },
  { forms: ['affect', 'influence', 'alter', 'change', 'modulate', 'regulate', 'impact', 'predict', 'determine', 'correlate with', 'associate with', 'relate to', 'help', 'benefit', 'treat', 'work for', 'mediate', 'control', 'scale'], dir: 0, kind: 'effect' },
];

const COPULA_RELATIONS: readonly { re: RegExp; dir: -1 | 0 | 1; kind: Facets['kind'] }[] = [
  { re: /\b(?:associated|linked|related|correlated|connected)\s+(?:with|to)\b/i, dir: 0, kind: 'association' },
  { re: /\b(?:a\s+)?(?:risk factor|cause|predictor|determinant|marker)\s+(?:for|of)\b/i, dir: 1, kind: 'association' },
  { re: /\b(?:effective|beneficial|useful|protective)\s+(?:for|in|against|at)\b/i, dir: -1, kind: 'effect' },
  { re: /\b(?:harmful|detrimental)\s+(?:for|to|in)\b/i, dir: 1, kind: 'effect' },
  { re: /\bmore\s+(?:effective|efficacious|beneficial|successful|useful)\s+than\b/i, dir: 0, kind: 'effect' },
  { re: /\b(?:better|superior|worse|inferior)\s+(?:than|to)\b/i, dir: 0, kind: 'comparison' },
];

/** Ways of saying how an exposure is given or lacking: not the exposure itself, but its sign. */
const POSITIVE_MODIFIERS = new Set(
  'serum plasma circulating supplementation supplement supplements supplemented therapy treatment treatments treated use usage intake administration administered exposure dose doses dosing high higher levels level concentration concentrations status overexpression activation scaling scale scaled size sizes'
    .split(' ')
    .map((w) => stem(w)),
);
/** Words that turn an exposure into its absence (`vitamin D deficiency`): the sign flips. */
export const NEGATIVE_MODIFIERS = new Set(
  'deficiency deficient insufficiency insufficient lack lacking low lower loss absence absent depletion depleted withdrawal knockout knockdown deletion inhibition inhibitor inhibitors blockade antagonist antagonists suppression reduced decreased'
    .split(' ')
    .map((w) => stem(w)),
);
/** Words that name how an outcome is measured rather than the outcome ("cancer incidence", "fracture risk"). */
const MEASURE_WORDS = new Set(
  'incidence prevalence rate rates risk risks odds occurrence frequency likelihood chance probability development onset'.split(' ').map((w) => stem(w)),
);
/** Words of a population phrase that say only "who" in general. */
const PEOPLE = new Set(
  'patient patients people person persons adult adults subject subjects participant participants individual individuals user users those case cases human humans population populations'
    .split(' ')
    .map((w) => stem(w)),
);

const YES_NO = /^(?:does|do|did|can|could|will|would|may|might|should|has|have|had|is|are|was|were)\b/i;
/** `Is it true that ...`: what follows is a statement to verify. */
export const PROPOSITION_PREFIX = /^(?:is it (?:true|the case|known|correct)|is there evidence|do we know|does the evidence show|does evidence show)\s+that\s+/i;
const POPULATION_SPLIT = /\s+(?:in|among|amongst|for)\s+(?=\S)/i;
const CONDITION_SPLIT = /\s+(?:on|across|at|from|when|during|with)\s+(?=\S)/i;

/** A facet term: its stems, its IDF weight, and the one-word spelling of a name (`Code Llama` → `codellama`). */
export type FacetTerm = TermMatcher & { idf: number; joined?: string };

/** A facet compiled for matching: its terms (alternatives, weighed by IDF) and its anchor. */
export interface CompiledFacet {
  terms: FacetTerm[];
  /** The most specific term: a text naming it addresses the facet. */
  anchor: FacetTerm;
}

/** True when the text names the term (all its stems, or a name's one-word spelling). */
export function namesTerm(term: FacetTerm, textTerms: ReadonlySet<string>): boolean {
  return term.stems.every((s) => textTerms.has(s)) || (term.joined !== undefined && textTerms.has(term.joined));
}

/** A yes/no or effect question as a statement, and the direction it asks about. */
interface Relation {
  index: number;
  length: number;
  dir: -1 | 0 | 1;
  kind: Facets['kind'];
  verb: string;
  /** The verb's base form ("reduces" → "reduce"; a copula relation as written). */
  base: string;
  /** A copula relation ("associated with", "more effective than"): the statement keeps the question's "is"/"are". */
  copula: boolean;
}

/**
 * The relation that splits a question or claim into subject and object. After "does/do/did/can …" the
 * verb is in its base form, so only base forms count there ("Does screening for impaired vision
 * improve …": "improve", not "impaired").
 */
function relationIn(text: string, statementMode = false, baseOnly = false): Relation | undefined {
  let best: Relation | undefined;
  for (const r of RELATIONS) {
    for (const form of r.forms) {
      const [head, ...rest] = form.split(' ');
      const inflected = baseOnly ? head! : `${head}(?:s|es|d|ed|ing)?`.replace(/e\(\?:s\|es\|d\|ed\|ing\)\?$/, '(?:e|es|ed|ing)');
      const re = new RegExp(`\\b${inflected}${rest.length ? `\\s+${rest.join('\\s+')}` : ''}\\b`, 'i');
      const m = re.exec(text);
      // A subject must come first ("Does X reduce Y"), so a relation at the very start does not count.
      if (m && m.index > 0 && (!best || m.index < best.index)) best = { index: m.index, length: m[0].length, dir: r.dir, kind: r.kind, verb: m[0], base: form, copula: false };
    }
  }
  for (const r of COPULA_RELATIONS) {
    const m = r.re.exec(text);
    if (m && m.index > 0 && (!best || m.index < best.index)) best = { index: m.index, length: m[0].length, dir: r.dir, kind: r.kind, verb: m[0], base: m[0], copula: true };
  }
  if (!best && statementMode) {
    // A claim with no verb of effect ("X shows inductive properties"): its first verb splits it.
    const m = /\s(?:is|are|was|were|has|have|had|shows?|showed|exhibits?|displays?|requires?|contains?|undergoes|undergo|can|may|does|do|did|plays?|acts?|occurs?|remains?|becomes?|binds?|targets?)\b/i.exec(text);
    if (m && m.index > 0) best = { index: m.index, length: m[0].length, dir: 0, kind: 'effect', verb: m[0].trim(), base: baseForm(m[0].trim()), copula: false };
  }
  return best;
}

/** The base form of a present-tense verb ("shows" → "show", "undergoes" → "undergo", "has" → "have"). */
function baseForm(verb: string): string {
  const v = verb.toLowerCase();
  if (v === 'has') return 'have';
  if (v === 'does') return 'do';
  if (/(?:ss|sh|ch|x|z|o)es$/.test(v)) return v.slice(0, -2);
  if (/[^aeiou]ies$/.test(v)) return `${v.slice(0, -3)}y`;
  return v.endsWith('s') && !v.endsWith('ss') ? v.slice(0, -1) : v;
}

/** A statement split at its relation, as a question would need it. */
export interface StatementParts {
  /** What the statement is about, as written ("Vitamin D supplementation"). */
  subject: string;
  /** Auxiliaries and negation between subject and verb ("is", "can", "does not"), as written; often empty. */
  auxiliary: string;
  /** The relation as written ("reduces", "associated with", "shows") and its base form ("reduce"). */
  verb: string;
  base: string;
  /** Whether the verb is inflected for the past ("reduced"). */
  past: boolean;
  /** What follows the relation ("fracture risk in elderly women"). */
  object: string;
}

/**
 * Splits a statement (a claim) at the relation `parseFacets` splits it at: "Vitamin D supplementation
 * reduces fracture risk" → subject "Vitamin D supplementation", verb "reduces" (base "reduce"),
 * object "fracture risk". Undefined when no relation splits it.
 */
export function statementParts(statement: string): StatementParts | undefined {
  const text = stripQuestion(statement);
  const relation = relationIn(text, true);
  if (!relation) return undefined;
  const before = text.slice(0, relation.index);
  const aux = /(?:\s+(?:does|do|did|is|are|was|were|can|could|may|might|will|would|should|has|have|had|not|also|significantly|strongly|directly))+\s*$/i.exec(before);
  const subject = (aux ? before.slice(0, aux.index) : before).trim();
  if (!subject) return undefined;
  const verb = relation.verb.trim();
  return {
    subject,
    auxiliary: aux ? aux[0].trim() : '',
    verb,
    base: relation.base,
    past: /ed\b/i.test(verb.split(/\s+/)[0]!) && !relation.copula,
    object: text.slice(relation.index + relation.length).trim(),
  };
}

/** Content terms of a span, without modifiers, people words or scaffolding (kept when nothing else is left). */
function spanTerms(span: string): string[] {
  const all = spanKeyTerms(span);
  const core = all.filter((t) => {
    const stems = t.toLowerCase().split(/\s+/).map((w) => stem(w));
    if (stems.length > 1) return true;
    const s = stems[0]!;
    return !POSITIVE_MODIFIERS.has(s) && !NEGATIVE_MODIFIERS.has(s) && !PEOPLE.has(s) && !GENERIC_TERMS.has(s) && !MEASURE_WORDS.has(s);
  });
  return core.length > 0 ? core : all.filter((t) => !PEOPLE.has(stem(t.toLowerCase())));
}

function stripQuestion(question: string): string {
  return question.trim().replace(/[?.!]+$/, '').trim();
}

/** The last sentence when it is a question and something precedes it; otherwise the whole text. */
export function focusQuestion(text: string): string {
  if (!/[.!?]\s+\S[^?]*\?\s*$/.test(text)) return text;
  const sentences = splitSentences(text);
  const last = sentences.at(-1);
  return sentences.length > 1 && last && last.endsWith('?') && /\p{L}/u.test(last) ? last : text;
}

/**
 * The question without what chat mentions leave after cleaning ("@channel", "@U123", "#general"): they
 * name no subject. Falls back to the question when nothing else is left.
 */
export function withoutChatMentions(question: string): string {
  // Context before the question ("We are writing a review. Does X reduce Y?"): the question is the last sentence.
  question = focusQuestion(question);
  const out = question
    .replace(/(^|\s)[@#][\p{L}\p{N}_.-]+/gu, '$1')
    .replace(/\s+&\s+(?=\S)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return out || question;
}

/** Parses a question (or a claim) into facets. Deterministic. */
export function parseFacets(question: string): Facets {
  let text = stripQuestion(withoutChatMentions(question));
  let statement = false;
  const prefixed = PROPOSITION_PREFIX.exec(text);
  if (prefixed) {
    text = text.slice(prefixed[0].length);
    statement = true;
  }
  const yesNo = !statement && YES_NO.test(text);
  const body = yesNo ? text.replace(YES_NO, '').trim() : text;
  const open = !statement && !yesNo;

  const compare = /^(?:how\s+(?:does|do)\s+)?(.+?)\s+(?:compare[sd]?\s+(?:with|to)|versus|vs\.?|differ(?:s)?\s+from)\s+(.+)$/i.exec(body);
  const effectFirst = yesNo && compare && relationIn(compare[1]!, false, true) !== undefined;
  if (compare && !statement && !effectFirst) return comparisonFacets(compare[1]!, compare[2]!);

  const auxiliary = yesNo ? (/^\w+/.exec(text)?.[0] ?? '').toLowerCase() : '';
  const baseForm = /^(?:does|do|did|can|could|will|would|may|might|should)$/.test(auxiliary);
  // "Do electric vehicles reduce air pollution compared with petrol cars?" is an effect question first.
  const relation = open ? undefined : (baseForm ? relationIn(body, statement, true) : undefined) ?? relationIn(body, statement);
  if (!relation) {
    // "What is the role of X in Y?": the topic; X and Y stand as exposure and outcome for screening only.
    const roleOf = /\b(?:role|effect|effects|impact|influence|contribution|function|mechanism)s?\s+of\s+(.+?)(?:\s+(?:in|on|for)\s+(.+))?$/i.exec(body);
    const exposure = spanTerms(roleOf ? roleOf[1]! : body);
    const outcome = roleOf?.[2] ? spanTerms(roleOf[2]) : [];
    // A quoted statement is still a proposition to verify, even when no verb splits it.
    if (statement) return { kind: 'effect', exposure, outcome, population: [], compared: [], direction: 0, proposition: text, fromStatement: true };
    return { kind: 'open', exposure, outcome, population: [], compared: [], direction: 0 };
  }
  const subject = body
    .slice(0, relation.index)
    .replace(/\b(?:the|a|an)\s+/gi, '')
    .replace(/(?:\s+(?:does|do|did|is|are|was|were|can|could|may|might|will|would|not|no|never|significantly|strongly|directly|also))+\s*$/i, '')
    .trim();
  const object = body.slice(relation.index + relation.length).trim();
  // A question's comparator ("... compared with petrol cars") is not its outcome; a claim keeps its words.
  const objectCore = yesNo ? object.split(/\s+(?:compared (?:with|to)|than|versus|vs\.?|relative to)\s+/i)[0]! : object;
  const [outcomeSpan, populationSpan] = objectCore.split(POPULATION_SPLIT, 2) as [string, string | undefined];
  const [outcomeCore] = outcomeSpan.split(CONDITION_SPLIT, 1) as [string];
  const negated = /\b(?:not|no|never|n't)\b/i.test(body.slice(0, relation.index + relation.length));
  // "Is A more effective than B for C?": A and B are compared, C is the outcome.
  if (relation.copula && /\b(?:than|to)$/i.test(relation.verb)) {
    const [comparator, purpose] = object.split(POPULATION_SPLIT, 2) as [string, string | undefined];
    const a = spanTerms(subject);
    const b = spanTerms(comparator);
    const facets: Facets = { kind: 'effect', exposure: a, outcome: purpose ? spanTerms(purpose) : [], population: [], compared: [a, b].filter((c) => c.length > 0), direction: 0 };
    if (yesNo) facets.proposition = toStatement(subject, relation, object, auxiliary);
    return facets;
  }
  const facets: Facets = {
    kind: relation.kind === 'comparison' ? 'comparison' : relation.kind,
    exposure: spanTerms(subject),
    outcome: spanTerms(outcomeCore || outcomeSpan),
    population: populationSpan ? spanTerms(populationSpan) : [],
    compared: [],
    direction: relation.dir,
  };
  // The object without its comparator ("... compared with petrol cars") names the outcome; the proposition keeps it.
  if (yesNo || statement) facets.proposition = statement ? text : toStatement(subject, relation, object, auxiliary);
  if (statement) facets.fromStatement = true;
  if (negated) facets.direction = 0;
  return facets;
}

/**
 * "Code Llama's pass@1 on BigCodeBench scale from 7B to 70B" compared with "Llama 2": the names on
 * either side are the things compared, the other terms of the left side before its setting are the
 * measure, and the setting ("on BigCodeBench") stands as the population facet.
 */
function comparisonFacets(left: string, right: string): Facets {
  const cleanLeft = left.replace(/^(?:what|which|how)\b.*?\b(?:of|is|are)\s+/i, '');
  const [subjectPart, ...settings] = cleanLeft.split(CONDITION_SPLIT);
  const [rightThing] = right.split(CONDITION_SPLIT, 1) as [string];
  const isName = (t: string) => /[\p{Lu}]/u.test(t) && !/^\d/.test(t) && !/@/.test(t);
  const leftTerms = spanKeyTerms(subjectPart ?? cleanLeft);
  const names = leftTerms.filter(isName);
  const measure = leftTerms.filter((t) => !isName(t) && !/^\d+(?:\.\d+)?[BMK]$/i.test(t) && !/^(?:scale|scaling|performance|size|sizes)$/i.test(t));
  const setting = settings.flatMap((s) => spanKeyTerms(s)).filter((t) => isName(t) && !/^\d/.test(t));
  const things = [names.length > 0 ? names : leftTerms, spanTerms(rightThing)].filter((c) => c.length > 0);
  return { kind: 'comparison', exposure: things[0] ?? [], outcome: measure, population: setting, compared: things, direction: 0 };
}

/** "vitamin D supplementation" + "reduce" + "fracture risk" → "vitamin D supplementation reduces fracture risk". */
function toStatement(subject: string, relation: Relation, object: string, auxiliary: string): string {
  if (relation.copula) {
    const be = /^(?:are|were|was|is)$/.test(auxiliary) ? auxiliary : /[^sui]s$/i.test(subject.split(/\s+/).pop() ?? '') ? 'are' : 'is';
    return `${subject} ${be} ${relation.verb} ${object}`.replace(/\s+/g, ' ').trim();
  }
  if (/^(?:are|were|was|is)$/.test(auxiliary)) return `${subject} ${auxiliary} ${relation.verb} ${object}`.replace(/\s+/g, ' ').trim();
  const [head, ...rest] = relation.verb.split(/\s+/);
  // "statins reduce", "vitamin D supplementation reduces": a plural head noun keeps the base form
  // (the head stands before "in", "of", "for": "erythromycin use in infants causes").
  const lastWord = subject.split(/\s+(?:in|of|for|among|with)\s+/i)[0]!.split(/\s+/).pop() ?? '';
  const plural = /[^sui]s$/i.test(lastWord) && !/^[A-Z0-9-]+$/.test(lastWord);
  const inflectedAlready = !/^(?:does|do|did|can|could|will|would|may|might|should|has|have|had)$/.test(auxiliary);
  const third = plural || inflectedAlready ? head! : /(?:s|x|ch|sh)$/i.test(head!) ? `${head}es` : /[^aeiou]y$/i.test(head!) ? `${head!.slice(0, -1)}ies` : `${head}s`;
  return `${subject} ${[third, ...rest].join(' ')} ${object}`.replace(/\s+/g, ' ').trim();
}

/** Compiles one facet's terms with their IDF weights; undefined for an empty facet. */
export function compileFacet(terms: readonly string[]): CompiledFacet | undefined {
  const compiled = compileTerms(terms).map((m) => {
    // Names and phrases are more specific than their rarest word says ("Code Llama", "vitamin D").
    const phraseBonus = m.stems.length > 1 || /[\p{Lu}\d]/u.test(m.term.slice(1)) ? 1.5 : 0;
    const words = m.term.split(/\s+/);
    const joined = words.length > 1 && /^\p{Lu}/u.test(m.term) ? words.join('').toLowerCase() : undefined;
    return { ...m, idf: termIdf(m.term) + phraseBonus, ...(joined ? { joined } : {}) };
  });
  if (compiled.length === 0) return undefined;
  const anchor = compiled.reduce((a, b) => (b.idf > a.idf ? b : a));
  return { terms: compiled, anchor };
}

/** True when `textTerms` (a stem set) names the facet: its anchor, or terms carrying 60% of its weight. */
export function addressesFacet(facet: CompiledFacet, textTerms: ReadonlySet<string>): boolean {
  if (namesTerm(facet.anchor, textTerms)) return true;
  const total = facet.terms.reduce((s, t) => s + t.idf, 0);
  const found = facet.terms.filter((t) => namesTerm(t, textTerms)).reduce((s, t) => s + t.idf, 0);
  return total > 0 && found / total >= 0.6;
}

/** The facets a finding must name to be on topic: exposure and outcome (or the things compared). */
export interface CoreFacets {
  exposure?: CompiledFacet;
  outcome?: CompiledFacet;
  population?: CompiledFacet;
  compared: CompiledFacet[];
}

/** Compiles the facets used for screening, extraction and alignment. */
export function compileCoreFacets(facets: Facets): CoreFacets {
  return {
    exposure: compileFacet(facets.exposure),
    outcome: compileFacet(facets.outcome),
    population: compileFacet(facets.population),
    compared: facets.compared.map((c) => compileFacet(c)).filter((c): c is CompiledFacet => c !== undefined),
  };
}

/** Which core facets a text names. */
export function facetMatch(core: CoreFacets, textTerms: ReadonlySet<string>): { exposure: boolean; outcome: boolean; population: boolean; compared: number } {
  return {
    exposure: core.exposure ? addressesFacet(core.exposure, textTerms) : true,
    outcome: core.outcome ? addressesFacet(core.outcome, textTerms) : true,
    population: core.population ? addressesFacet(core.population, textTerms) : true,
    compared: core.compared.filter((c) => addressesFacet(c, textTerms)).length,
  };
}

/** True when a text names the exposure and the outcome (or, for a comparison, a compared thing and the measure). */
export function isOnTopic(core: CoreFacets, textTerms: ReadonlySet<string>): boolean {
  const m = facetMatch(core, textTerms);
  if (core.compared.length > 0) return m.compared >= 1 && m.outcome;
  return m.exposure && m.outcome;
}

/** Words before an exposure that say it is low or absent ("low vitamin D", "lack of exercise"). */
export const NEGATIVE_BEFORE = new Set('low lower reduced decreased lack loss absence absent deficient insufficient depleted impaired'.split(' ').map((w) => stem(w)));
/** Words after an exposure that say it is lacking ("vitamin D deficiency", "TNF blockade"). */
export const NEGATIVE_AFTER = new Set('deficiency deficient insufficiency depletion withdrawal knockout knockdown deletion inhibition inhibitor inhibitors blockade antagonist antagonists loss lack suppression'.split(' ').map((w) => stem(w)));

/**
 * Sign of the exposure as a text states it: -1 when a word right before its anchor says it is low or
 * absent, or a word right after says it is lacking; effect verbs elsewhere ("reduced the risk") do not count.
 */
export function exposureSign(tokensStems: readonly string[], exposure: CompiledFacet | undefined): 1 | -1 {
  if (!exposure) return 1;
  const anchor = exposure.anchor.stems;
  const first = anchor[0]!;
  const last = anchor.at(-1)!;
  for (let i = 0; i < tokensStems.length; i++) {
    if (tokensStems[i] !== first) continue;
    const end = anchor.length > 1 && tokensStems[i + anchor.length - 1] === last ? i + anchor.length - 1 : i;
    const before = tokensStems.slice(Math.max(0, i - 2), i);
    const after = tokensStems.slice(end + 1, end + 3);
    if (before.some((t) => NEGATIVE_BEFORE.has(t)) || after.some((t) => NEGATIVE_AFTER.has(t)) || (before.includes('of') && before.some((t) => NEGATIVE_AFTER.has(t)))) return -1;
  }
  return 1;
}

/** Words of a text that are neither stopwords nor empty (for tests and diagnostics). */
export function contentWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w && !STOPWORDS.has(w.toLowerCase()));
}
