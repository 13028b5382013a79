/**
 * Reading what someone writes in a thread under a report, without a model:
 * - {@link contextualise}: a follow-up read in the context of the thread's question ("over 65?" after
 *   "Does vitamin D supplementation reduce fracture risk?" → "Does vitamin D supplementation reduce
 *   fracture risk in people over 65?");
 * - {@link isChitChat}: a reply that asks nothing ("thanks", "👍");
 * - {@link parseThreadCommand}: "explain claim 3", "add 10.1056/…", "since 2020", "more papers";
 * - {@link sanitizeFollowUp}: the main question's checks, for a follow-up.
 */
import { parseFacets, PROPOSITION_PREFIX, statementParts, withoutChatMentions } from '../engines/extractive/facets.js';
import { planTerms } from '../engines/extractive/plan-terms.js';
import { UsageError } from '../errors.js';
import { characterCount, cleanText, hasSubject, MAX_QUESTION_LENGTH, normalizeWhitespace } from '../text/sanitize.js';
import { stem, STOPWORDS } from '../text/tokens.js';
import { normalizeArxivId } from './merge.js';

const stems = (text: string) => (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => stem(w));
const stemSet = (text: string) => new Set(stems(text));
const toSet = (words: string) => new Set(words.split(/\s+/).map((w) => stem(w)));

/** Words that name who was studied: a follow-up fragment naming one of them is about the population. */
const POPULATION_WORDS = toSet(
  'child children kid kids infant infants baby babies newborn newborns neonate neonates toddler toddlers preschooler preschoolers ' +
    'adolescent adolescents teen teens teenager teenagers youth youths young adult adults elderly older old aged senior seniors ' +
    'woman women man men female females male males girl girls boy boys mother mothers father fathers pregnant pregnancy ' +
    'postmenopausal premenopausal menopausal people person persons patient patients participant participants subject subjects ' +
    'individual individuals population populations resident residents smoker smokers nonsmoker nonsmokers athlete athletes ' +
    'student students worker workers veteran veterans survivor survivors twin twins user users mouse mice rat rats animal animals ' +
    'human humans primate primates dog dogs volunteers volunteer caucasian caucasians asian asians african africans european europeans',
);
/** An age limit: "over 65", "under 18", "older than 70", "aged 50", "65+", "≥ 65", "65 years". */
const AGE = /(?:\b(?:over|under|above|below|aged?|older than|younger than|at least)\s+\d)|(?:\d+\s*(?:\+|years?\b|yrs?\b|y\/o\b))|(?:[<>≥≤]\s*\d)/i;
/** Measures and outcomes a bare fragment most likely swaps in for the original's outcome. */
const OUTCOME_WORDS = toSet(
  'mortality death deaths survival morbidity incidence prevalence risk recurrence relapse remission progression symptom symptoms ' +
    'pain quality side effect effects adverse event events complication complications hospitalization hospitalisation admission ' +
    'admissions readmission readmissions outcome outcomes fall falls fracture fractures toxicity safety harm harms response',
);
/** Words after an exposure that say how it is given; replaced with it when another exposure is swapped in. */
const EXPOSURE_MODIFIERS = toSet(
  'supplementation supplement supplements supplemented therapy treatment treatments use usage intake administration exposure dose doses dosing level levels concentration concentrations status consumption',
);
/** Words after an outcome that say how it is measured ("fracture risk"); replaced with it. */
const MEASURE_WORDS = toSet('risk risks incidence rate rates odds occurrence frequency likelihood chance probability prevalence');
/** Words that name nothing of their own in a follow-up ("How strong is the effect?", "does it hold?"). */
const VAGUE_WORDS = toSet(
  'effect effects finding findings result results association link relationship benefit benefits answer evidence conclusion claim ' +
    'claims trend pattern same different similar true case hold holds apply applies work works stand generalise generalize extend ' +
    'strong stronger strength weak weaker large larger big bigger small smaller great greater size magnitude much many long often ' +
    'sure certain confident study studies trial trials data paper papers source sources quality good bad well really actually also ' +
    'still too even else other another thing things about mean means explain tell know',
);
/** Pronouns and phrases that point back at the thread's exposure ("Does it also reduce falls?"). */
const BACK_REFERENCE = /^(it|this|that|they|these|those|the\s+(?:same\s+)?(?:treatment|intervention|drug|drugs|supplement|supplements|supplementation|therapy|exposure|medication|medications))\b/i;

/** Leading words of a reply that carry no meaning of their own ("and", "ok so", "but"). */
const LEAD = /^(?:(?:and|but|so|ok|okay|also|then|well|hmm+|right|now|great|thanks|thank you|interesting)\b[,.!:]?\s+)+/i;
/** "what about …", "how about …", "what of …", "same for …", "is it the same in …". */
const MARKER = /^(?:(?:what|how)\s+about|what\s+of|(?:(?:is|does)\s+(?:it|that|this)\s+(?:also\s+)?)?(?:the\s+)?same(?=\s+(?:for|in|with|among|amongst|when|at|on)\b))\s*/i;
/** "does the effect hold for …", "does that also apply to …", "is it true in …", "is that the case for …". */
const HOLDS = new RegExp(
  '^(?:does|do|did|would|will|can|could|might|may|is|are|was|were)\\s+' +
    '(?:(?:the|this|that|these|those|it|they)\\s+)?' +
    '(?:(?:same|effect|effects|finding|findings|result|results|association|link|relationship|benefit|benefits|answer|evidence|conclusion|claim|trend|pattern)\\s+)?' +
    '(?:(?:also|still|really|then)\\s+)?' +
    '(?:(?:hold(?:\\s+(?:true|up))?|holds|apply|applies|work|works|stand|generali[sz]e|extend|carry\\s+over|go|translate|remain\\s+true|be\\s+(?:true|the\\s+case|the\\s+same|similar|different)|true|the\\s+case|the\\s+same|similar|different)\\s*)?' +
    '(?:(?:also|too|as\\s+well)\\s*)?' +
    '(?=(?:for|in|to|among|amongst|with|without|when|at|on|during|after|before|over|under|above|below|aged?|older|younger)\\b|$)',
  'i',
);
/** A question opens with an auxiliary or a question word. */
const QUESTION_FORM = /^(?:what|why|how|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|could|would|will|should|shall|may|might|has|have|had)\b/i;
const AUXILIARY = /^(?:is|are|was|were|do|does|did|can|could|would|will|should|shall|may|might|has|have|had)\b/i;
/** A population phrase in a question: "in …", "among …", "amongst …", "for …". */
const POPULATION_PREPOSITION = /\s(?:in|among|amongst|for)\s/gi;
/** Where a question's comparator or condition begins: a population is inserted before it. */
const TAIL = /\s(?:compared\s+(?:with|to)|versus|vs\.?|relative\s+to|than|when|during|with)\s|,/i;

function stripEnd(text: string): string {
  return text.trim().replace(/[\s?.!]+$/u, '').trim();
}

function finish(text: string): string {
  const t = normalizeWhitespace(text);
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}?`;
}

/** True when a phrase names people (a population word) or an age limit. */
function namesPopulation(phrase: string): boolean {
  return AGE.test(phrase) || stems(phrase).some((s) => POPULATION_WORDS.has(s));
}

/** The phrase's words that name something of its own (not stopwords, vague words or back references). */
function ownTerms(phrase: string): string[] {
  return planTerms(phrase, { sentenceStart: false }).keyTerms.filter((t) => {
    const s = stems(t);
    return s.length > 1 || (s.length === 1 && !VAGUE_WORDS.has(s[0]!) && !STOPWORDS.has(t.toLowerCase()) && !/^(?:it|this|that|they|these|those)$/i.test(t));
  });
}

/** The population or condition phrase of a fragment, as it should stand in the question ("in people over 65"), or undefined. */
function populationPhrase(fragment: string): { phrase: string; replaces: boolean } | undefined {
  const f = fragment.replace(/^(?:the\s+case\s+)?/i, '').trim();
  const prep = /^(in|among|amongst|for|to|with|without|when|at|on|during|after|before)\s+(.+)$/i.exec(f);
  if (prep) {
    const [, word, rest] = prep as unknown as [string, string, string];
    const p = word.toLowerCase();
    if (p === 'in' || p === 'among' || p === 'amongst') return { phrase: `${p === 'amongst' ? 'among' : p} ${withPeople(rest)}`, replaces: true };
    if ((p === 'for' || p === 'to') && namesPopulation(rest)) return { phrase: `in ${withPeople(rest)}`, replaces: true };
    if (p === 'for' || p === 'to') return undefined;
    return { phrase: `${p} ${rest}`, replaces: false };
  }
  if (namesPopulation(f)) return { phrase: `in ${withPeople(f)}`, replaces: true };
  return undefined;
}

/** "over 65" → "people over 65": an age limit needs someone to apply to. */
function withPeople(phrase: string): string {
  const p = phrase.replace(/^(?:the\s+)?(?=(?:over|under|above|below|older|younger|aged?|at least)\b)/i, '');
  if (/^(?:over|under|above|below|older than|younger than|aged?|at least)\s+\d|^[<>≥≤]\s*\d|^\d/i.test(p) && !stems(p).some((s) => POPULATION_WORDS.has(s))) return `people ${p}`;
  return p;
}

/** The span of the question's population phrase ("in elderly women"), found in its text. */
function populationSpan(question: string, populationTerms: readonly string[]): { start: number; end: number } | undefined {
  const termStems = new Set(populationTerms.flatMap((t) => stems(t)));
  let found: { start: number; end: number } | undefined;
  for (const m of question.matchAll(POPULATION_PREPOSITION)) {
    const start = m.index;
    const after = question.slice(start + m[0].length);
    const tail = TAIL.exec(after);
    const end = start + m[0].length + (tail ? tail.index : after.length);
    const phrase = question.slice(start + m[0].length, end);
    if (namesPopulation(phrase) || stems(phrase).some((s) => termStems.has(s))) {
      found = { start, end };
      break;
    }
  }
  return found;
}

/** The question with its population replaced by (or, without one, given) `phrase`. */
function withPopulation(question: string, populationTerms: readonly string[], phrase: string, replaces: boolean): string {
  const span = replaces ? populationSpan(question, populationTerms) : undefined;
  if (span) return `${question.slice(0, span.start)} ${phrase}${question.slice(span.end)}`;
  // Before a comparator ("… compared with placebo") or at the end.
  const tail = /\s(?:compared\s+(?:with|to)|versus|vs\.?|relative\s+to)\s/i.exec(question);
  return tail ? `${question.slice(0, tail.index)} ${phrase}${question.slice(tail.index)}` : `${question} ${phrase}`;
}

/**
 * Replaces the first occurrence of one of `terms` in the question with `replacement`, together with
 * the words around it that the replacement repeats ("paraquat poisoning" → "acute paraquat
 * poisoning") and the words after it that `following` names ("vitamin D supplementation" →
 * "exercise") unless `keepFollowing`. Undefined when no term occurs in the question.
 */
function swapTerm(question: string, terms: readonly string[], replacement: string, following: ReadonlySet<string>, keepFollowing: (term: string) => boolean): string | undefined {
  let best: { index: number; length: number; term: string } | undefined;
  for (const term of [...terms].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(`\\b${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}(?:s|es)?\\b`, 'i');
    const m = re.exec(question);
    if (m && (!best || m.index < best.index)) best = { index: m.index, length: m[0].length, term };
  }
  if (!best) return undefined;
  const repeated = stemSet(replacement);
  const consume = (word: string) => repeated.has(stem(word.toLowerCase())) || (!keepFollowing(best.term) && following.has(stem(word.toLowerCase())));
  let start = best.index;
  let end = best.index + best.length;
  for (;;) {
    const next = /^\s+([\p{L}\p{N}-]+)/u.exec(question.slice(end));
    if (!next || !consume(next[1]!)) break;
    end += next[0].length;
  }
  for (;;) {
    const previous = /([\p{L}\p{N}-]+)\s+$/u.exec(question.slice(0, start));
    if (!previous || !repeated.has(stem(previous[1]!.toLowerCase()))) break;
    start = previous.index;
  }
  return `${question.slice(0, start)}${replacement}${question.slice(end)}`;
}

/** The original's subject as written ("vitamin D supplementation"), else its exposure terms. */
function subjectOf(facets: ReturnType<typeof parseFacets>): string | undefined {
  const subject = facets.proposition ? statementParts(facets.proposition)?.subject : undefined;
  if (subject && facets.exposure.some((t) => stems(t).every((s) => stemSet(subject).has(s)))) {
    // A sentence's capital is not the subject's ("Vitamin D supplementation" inside a question).
    return /^(?:\p{Lu}\p{Ll}|(?:A|An)\s)/u.test(subject) ? `${subject.charAt(0).toLowerCase()}${subject.slice(1)}` : subject;
  }
  return facets.exposure.length > 0 ? facets.exposure.join(' and ') : undefined;
}

/**
 * The population phrase of a question or claim as written, without its preposition ("Does X reduce Y
 * in elderly women?" → "elderly women"); undefined when it names none.
 */
export function populationOf(question: string): string | undefined {
  const base = stripEnd(withoutChatMentions(normalizeWhitespace(question)));
  const span = populationSpan(base, parseFacets(base).population);
  return span ? base.slice(span.start, span.end).replace(/^\s*(?:in|among|amongst|for)\s+/i, '').trim() || undefined : undefined;
}

/**
 * A follow-up read in the context of the thread's original question. A fragment ("over 65?", "what
 * about in children?", "does the effect hold for people over 65?") becomes the original question for
 * that population ("Does vitamin D supplementation reduce fracture risk in people over 65?"); a bare
 * exposure or outcome ("what about vitamin K?", "and mortality?") is swapped into the original; a
 * question whose subject points back ("Does it also reduce falls?") gets the original's exposure; a
 * question that names its own exposure or outcome is used as it is; a follow-up that names nothing
 * of its own ("how strong is the evidence?") is the original question. Deterministic, no model.
 */
export function contextualise(original: string, followUp: string): string {
  const asked = normalizeWhitespace(followUp);
  const base = stripEnd(withoutChatMentions(normalizeWhitespace(original)));
  if (!base) return asked;
  if (!stripEnd(asked)) return finish(base);
  const result = readInContext(base, stripEnd(withoutChatMentions(asked)));
  // A question the pipeline would refuse as too long is better asked as it was.
  return characterCount(result) > MAX_QUESTION_LENGTH ? asked : result;
}

function readInContext(base: string, asked: string): string {
  const facets = parseFacets(base);
  const text = asked.replace(LEAD, '').trim() || asked;
  const marker = MARKER.exec(text);
  const holds = marker ? undefined : HOLDS.exec(text);
  const fragmentStart = marker ? marker[0].length : holds && holds[0].trim().length > 0 ? holds[0].length : undefined;

  if (fragmentStart === undefined && QUESTION_FORM.test(text)) {
    // A question of its own: its subject may point back at the thread's exposure.
    const aux = PROPOSITION_PREFIX.test(text) ? null : AUXILIARY.exec(text);
    let question = text;
    if (aux) {
      const rest = text.slice(aux[0].length).trimStart();
      const back = BACK_REFERENCE.exec(rest);
      const subject = back ? subjectOf(facets) : undefined;
      if (back && subject) question = `${aux[0]} ${subject}${rest.slice(back[0].length)}`;
    }
    // It names its own exposure or outcome (not only a population): it is asked as it stands.
    if (ownTerms(question).some((t) => !namesPopulation(t))) return finish(question);
    // It names nothing but maybe a population ("Is the effect bigger in men?").
    const pop = /\s((?:in|among|amongst|for)\s.+)$/i.exec(text);
    const phrase = pop ? populationPhrase(pop[1]!) : undefined;
    return finish(phrase ? withPopulation(base, facets.population, phrase.phrase, phrase.replaces) : base);
  }

  const fragment = stripEnd(text.slice(fragmentStart ?? 0)).replace(/^(?:the|a|an)\s+(?!same\b)/i, '');
  if (!fragment) return finish(base);
  const population = populationPhrase(fragment);
  if (population) return finish(withPopulation(base, facets.population, population.phrase, population.replaces));
  const noun = fragment.replace(/^(?:for|to|on)\s+/i, '');
  if (ownTerms(noun).length === 0) return finish(base);

  // A bare exposure or outcome swapped into the original.
  const nounStems = stemSet(noun);
  const shares = (terms: readonly string[]) => terms.some((t) => stems(t).some((s) => nounStems.has(s)));
  const outcome = !shares(facets.exposure) && (shares(facets.outcome) || [...nounStems].some((s) => OUTCOME_WORDS.has(s)) || /^(?:for|on)\s/i.test(fragment));
  if (outcome) {
    const swapped = swapTerm(base, facets.outcome, noun, MEASURE_WORDS, () => false);
    if (swapped) return finish(swapped);
    return finish(facets.exposure.length > 0 ? `What is the effect of ${facets.exposure.join(' and ')} on ${noun}` : noun);
  }
  const swapped = swapTerm(base, facets.exposure, noun, EXPOSURE_MODIFIERS, (term) => stems(term).some((s) => nounStems.has(s)));
  if (swapped) return finish(swapped);
  return finish(facets.outcome.length > 0 ? `What is the effect of ${noun} on ${facets.outcome.join(' and ')}` : noun);
}

// ---------------------------------------------------------------------------------------------------
// Chit-chat and thread commands

/** Words of a reply that asks nothing. */
const ACKNOWLEDGEMENTS = new Set(
  (
    "thanks thank thx ty tysm tnx cheers great nice cool ok okay k kk sure yes yeah yep yup no nope nah lol lmao haha hah hehe " +
    "rofl interesting wow whoa neat awesome amazing perfect good excellent brilliant fantastic super fine got it gotcha understood " +
    "noted right indeed true agreed agree makes make sense very so much a lot really that that's thats this is was you u all again " +
    "for the helpful useful appreciated appreciate love oh ah hmm hm ha well done one oops sorry np welcome bye bot mate guys folks " +
    "fascinating impressive clear helps thank-you"
  ).split(' '),
);
const QUESTION_START = /^(?:what|why|how|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|could|would|will|should|shall|may|might|has|have|had|am|isn't|aren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|shouldn't)\b/i;
const REQUEST_START = /^(?:explain|add|since|more|show|list|compare|find|search|tell|give|summari[sz]e|expand|include|exclude|remove|check|verify|look|cite|describe|what\s+about|how\s+about)\b/i;

/** The text without leading chat mentions ("@bot thanks"). */
function withoutLeadingMentions(text: string): string {
  return cleanText(text).replace(/^(?:[@#][\p{L}\p{N}_.-]+[:,]?\s*)+/u, '').trim();
}

/**
 * True for a short reply that asks the bot nothing ("thanks", "interesting", "👍", "great, thank you!",
 * "lol", "ok"); false for anything with a question mark, anything that opens with a question word or
 * a request ("explain", "add", "since", "more", "what about", "compare", ...), a thread command, and
 * anything with a word that is not an acknowledgement ("over 65", "children").
 */
export function isChitChat(text: string): boolean {
  const t = withoutLeadingMentions(text);
  if (t.includes('?') || t.includes('？')) return false;
  if (QUESTION_START.test(t) || REQUEST_START.test(t) || parseThreadCommand(t) !== undefined) return false;
  const words = t.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
  if (words.length > 12) return false;
  return words.every((w) => ACKNOWLEDGEMENTS.has(w.replace(/’/g, "'")));
}

/** A command to the bot in a report's thread. */
export type ThreadCommand =
  | { kind: 'explain'; claim: number }
  /** `id`: a DOI (`10.…`), an arXiv id (`arXiv:2406.15877`, version dropped) or a PubMed id (digits only). */
  | { kind: 'add'; id: string }
  | { kind: 'since'; year: number }
  | { kind: 'more' };

/**
 * Parses a thread command: "explain claim 3" (also "explain c3", "explain 3"), "add <DOI | arXiv id |
 * PubMed id>" ("add 10.1056/NEJMoa2034577", "add arXiv:2406.15877", "add PMID 12345678", "add
 * 12345678", doi.org / arxiv.org / pubmed URLs too), "since 2020", "more papers" ("more", "show more",
 * "find more studies"). Undefined for anything else (an "add" whose id is none of the three, too).
 */
export function parseThreadCommand(text: string): ThreadCommand | undefined {
  const t = withoutLeadingMentions(text).replace(/^please\s+/i, '').replace(/[\s.!]+$/u, '').replace(/\s+please$/i, '');
  const explain = /^explain\s+(?:(?:the\s+)?claim\s*)?(?:#|no\.?\s*|number\s+)?c?(\d{1,3})$/i.exec(t);
  if (explain) {
    const claim = Number(explain[1]);
    return claim >= 1 ? { kind: 'explain', claim } : undefined;
  }
  const add = /^add\s+(?:(?:the\s+)?(?:paper|study|article|reference)\s+)?(.+)$/i.exec(t);
  if (add) {
    const id = paperIdentifier(add[1]!.trim());
    return id ? { kind: 'add', id } : undefined;
  }
  const since = /^(?:(?:only|just)\s+)?(?:(?:papers|studies|results|evidence)\s+)?since\s+(\d{4})$/i.exec(t);
  if (since) {
    const year = Number(since[1]);
    return year >= 1800 && year <= 2100 ? { kind: 'since', year } : undefined;
  }
  if (/^(?:(?:show|find|get|search|fetch|give\s+me|search\s+for|look\s+for)\s+)?more(?:\s+(?:papers|sources|results|studies|evidence|references))?$/i.test(t)) return { kind: 'more' };
  return undefined;
}

/** A DOI, an arXiv id (`arXiv:<id>`) or a PubMed id (digits), from what a user typed; undefined otherwise. */
function paperIdentifier(raw: string): string | undefined {
  const value = raw.replace(/^<|>$/g, '').replace(/[,;]+$/, '').trim();
  const doi = /^(?:doi:\s*|https?:\/\/(?:dx\.)?doi\.org\/)?(10\.\d{4,9}\/\S+)$/i.exec(value);
  if (doi) return doi[1]!.replace(/[)\].]+$/, '');
  const arxiv = /^(?:arxiv:\s*|https?:\/\/(?:www\.)?arxiv\.org\/(?:abs|pdf)\/)(\S+)$/i.exec(value) ?? /^(\d{4}\.\d{4,5}(?:v\d+)?)$/.exec(value);
  if (arxiv) {
    const id = normalizeArxivId(arxiv[1]!);
    return id ? `arXiv:${id}` : undefined;
  }
  const pmid = /^(?:pmid|pubmed)(?:\s*id)?[:\s]*(\d{1,9})$/i.exec(value) ?? /^https?:\/\/(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov\/pubmed)\/(\d{1,9})\/?$/i.exec(value) ?? /^(\d{1,9})$/.exec(value);
  return pmid ? pmid[1] : undefined;
}

/**
 * Validates and cleans a follow-up as the main question is (control characters, mentions, the length
 * limit); a fragment such as "over 65?" passes because it names a number. Throws a {@link UsageError}
 * for an empty follow-up, one over the limit, chit-chat ("thanks"), a thread command ("explain claim
 * 3": not a question) and one that names nothing ("???", "@channel").
 */
export function sanitizeFollowUp(raw: string): string {
  const text = cleanText(raw);
  if (text.length === 0) {
    throw new UsageError('The follow-up question is empty. Ask about the papers of the report, e.g. "what about in children?"');
  }
  // As for the main question: one far over the limit is refused before its characters are counted (slow on very long text).
  if (text.length > MAX_QUESTION_LENGTH * 8) {
    throw new UsageError(`The follow-up question is over ${(MAX_QUESTION_LENGTH * 8).toLocaleString('en')} characters long; the limit is ${MAX_QUESTION_LENGTH}. Shorten it to its core question.`);
  }
  const length = text.length > MAX_QUESTION_LENGTH ? characterCount(text) : text.length;
  if (length > MAX_QUESTION_LENGTH) {
    throw new UsageError(`The follow-up question is ${length} characters long; the limit is ${MAX_QUESTION_LENGTH}. Shorten it to its core question.`);
  }
  if (parseThreadCommand(text)) {
    throw new UsageError('That is a thread command (explain claim N, add <DOI, arXiv or PubMed id>, since <year>, more papers), not a follow-up question.');
  }
  if (isChitChat(text)) throw new UsageError('That reads as a reply, not a question. Ask a follow-up question, e.g. "what about in children?"');
  if (!hasSubject(text) && !/\p{N}/u.test(text.replace(/(^|\s)[@#][\p{L}\p{N}_.-]+/gu, '$1'))) {
    throw new UsageError('The follow-up names nothing to ask about (only question words, mentions or punctuation). Ask e.g. "what about in children?"');
  }
  return text;
}
