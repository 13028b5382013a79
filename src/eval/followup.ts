/**
 * `synthesize eval followup`: how well a follow-up is answered from a thread's papers alone, on
 * SciFact. For a seeded sample of labelled claims, the original question `Is it true that <claim>?`
 * runs through the whole pipeline over the corpus; its report is saved (serialised to JSON and read
 * back, as the CLI and the bot keep it); then a follow-up built from the same claim is asked of that
 * report with `followUp` and no widening, so only the thread's papers answer it. The follow-up is the
 * claim phrased as a fragment or a rephrasing, one kind per claim chosen by the seed among those the
 * claim allows:
 * - `population`: "What about in <population>?" (the claim's own population, so the contextualised
 *   question asks what the claim states);
 * - `pronoun`: the claim as a question whose subject is "it" ("Does it reduce fracture risk?"), to be
 *   resolved to the thread's exposure;
 * - `rephrasing`: the claim as a direct question ("Does vitamin D supplementation reduce fracture
 *   risk?"), complete on its own.
 * Scored as `eval answer` scores a run (direction right, gold paper cited), beside the original run's
 * figures on the same claims, with the time per follow-up.
 */
import type { Engine } from '../engines/engine.js';
import { statementParts } from '../engines/extractive/facets.js';
import { SynthError } from '../errors.js';
import { ReportSchema, type Report } from '../model.js';
import { followUp, type FollowUpOutcome } from '../pipeline/followup.js';
import { populationOf } from '../pipeline/followup-text.js';
import { createSynthesizer } from '../pipeline/synthesize.js';
import { renderJson } from '../render/json.js';
import { createCorpusSource } from '../sources/corpus.js';
import { answerCases, scoreReport, summarizeAnswers, type AnswerCase, type AnswerMetrics, type AnswerRow } from './answer.js';
import { round4 } from './metrics.js';
import { readSciFactClaims } from './scifact-claims.js';

/** How a follow-up was phrased. */
export type FollowUpKind = 'population' | 'pronoun' | 'rephrasing';

/** Default sample size and seed of `synthesize eval followup`. */
export const DEFAULT_FOLLOWUP_SAMPLE = 100;
export const DEFAULT_FOLLOWUP_SEED = 1;

/** A small deterministic generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` items drawn without replacement with the seed (Fisher–Yates), in the order drawn. */
export function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  const random = seededRandom(seed);
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.max(0, n));
}

const capitalise = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
/** "Vitamin D supplementation" inside a question: the sentence's capital goes, a name's stays ("IL-6", "Aspirin" stays only as a name). */
const inQuestion = (s: string) => (/^(?:\p{Lu}\p{Ll}|(?:A|An)\s)/u.test(s) ? `${s.charAt(0).toLowerCase()}${s.slice(1)}` : s);

/**
 * A claim as a yes/no question ("Vitamin D supplementation reduces fracture risk." → "Does vitamin D
 * supplementation reduce fracture risk?"), with `it` as its subject when `pronoun`; undefined when no
 * relation splits it or it is negated.
 */
export function claimAsQuestion(claim: string, pronoun = false): string | undefined {
  const parts = statementParts(claim.trim().replace(/\.+$/, ''));
  // A split the parser is unsure of: negated, a participle read as the verb ("induced pluripotent
  // stem cells"), a verb left inside the subject ("X is a key determinant of"), or a subject that is
  // a setting ("In young adults, ...").
  if (
    !parts ||
    (parts.past && parts.auxiliary === '') ||
    /\b(?:not|no|never)\b/i.test(`${parts.auxiliary} ${parts.verb}`) ||
    /^(?:not|no|never)\b/i.test(parts.object) ||
    /\b(?:is|are|was|were|has|have|had|no|not|shows?|showed|demonstrates?|exhibits?|reveals?|displays?)\b|\w(?:ates|izes|ises)\b/i.test(parts.subject) ||
    /,/.test(parts.subject) ||
    /^(?:in|among|for|during|after|when)\b/i.test(parts.subject)
  ) {
    return undefined;
  }
  const aux = parts.auxiliary.split(/\s+/).filter((w) => w && !/^(?:also|significantly|strongly|directly)$/i.test(w));
  const first = (aux[0] ?? parts.verb).toLowerCase();
  const plural = /^(?:are|were|have|do)$/.test(first) || (aux.length === 0 && parts.verb.split(/\s+/)[0]!.toLowerCase() === parts.base.split(/\s+/)[0]);
  const subject = pronoun ? (plural ? 'they' : 'it') : inQuestion(parts.subject);
  if (aux.length > 0) return `${capitalise(aux[0]!.toLowerCase())} ${subject} ${[...aux.slice(1), parts.verb, parts.object].join(' ')}?`.replace(/\s+/g, ' ');
  if (/^(?:is|are|was|were|can|could|may|might|will|would|should)$/i.test(parts.verb)) {
    return `${capitalise(parts.verb.toLowerCase())} ${subject} ${parts.object}?`.replace(/\s+/g, ' ');
  }
  const auxiliary = plural ? 'Do' : 'Does';
  return `${auxiliary} ${subject} ${parts.base} ${parts.object}?`.replace(/\s+/g, ' ').replace(/ \?$/, '?');
}

/** The follow-ups a claim allows, by kind. */
export function followUpsFor(claim: string): Partial<Record<FollowUpKind, string>> {
  const out: Partial<Record<FollowUpKind, string>> = {};
  const population = populationOf(`Is it true that ${claim.trim().replace(/\.+$/, '')}?`);
  // A short phrase ("in elderly women", "in adipose tissue"), not the rest of a sentence.
  if (population && population.split(/\s+/).length <= 5 && !/\b(?:is|are|was|were|has|have|can|may)\b/i.test(population)) out.population = `What about in ${population}?`;
  const pronoun = claimAsQuestion(claim, true);
  if (pronoun) out.pronoun = pronoun;
  out.rephrasing = claimAsQuestion(claim) ?? `Does the evidence show that ${inQuestion(claim.trim().replace(/\.+$/, ''))}?`;
  return out;
}

/** One claim's original run and follow-up, as `--details` writes it. */
export interface FollowUpRow {
  id: number;
  claim: string;
  gold: AnswerCase['gold'];
  kind: FollowUpKind;
  followup: string;
  /** The follow-up read in the context of the original question. */
  contextualised: string;
  original: AnswerRow;
  answer: AnswerRow;
  /** The original question asked again of its own report (the thread's papers only): the thread's effect without the rephrasing. */
  same_question: AnswerRow;
  scope: FollowUpOutcome | null;
  /** Whether a gold evidence abstract was among the thread's papers (what the follow-up could cite at best). */
  gold_in_thread: boolean;
  ms: number;
  error?: string;
}

/** The printed figures. */
export interface FollowUpEvaluation {
  claims: number;
  seed: number;
  /** The original question over the whole corpus, on the sampled claims. */
  original: AnswerMetrics;
  /** The follow-up from the thread's papers only. */
  followup: AnswerMetrics & {
    /** Share of SUPPORT/CONTRADICT claims whose gold abstract was among the thread's papers (the ceiling of gold_paper_cited). */
    gold_in_thread: number;
    /** Share of all sampled claims whose follow-up gave the original's verdict. */
    same_verdict_as_original: number;
    scope: Record<FollowUpOutcome, number>;
  };
  /** The original question asked again from the thread's papers only: what the thread alone changes. */
  same_question_from_thread: AnswerMetrics;
  by_kind: Record<string, AnswerMetrics & { claims: number }>;
  ms_per_followup: { mean: number; p50: number; p95: number; max: number };
}

/** Options of {@link evaluateFollowUps}. */
export interface FollowUpEvaluationOptions {
  sample?: number;
  seed?: number;
  signal?: AbortSignal;
}

/**
 * Runs the follow-up evaluation (see the module comment) with the given engine over the SciFact
 * corpus and claims file. The corpus is loaded and indexed once.
 */
export async function evaluateFollowUps(
  files: { corpus: string; claims: string },
  engine: Engine,
  options: FollowUpEvaluationOptions = {},
): Promise<{ result: FollowUpEvaluation; rows: FollowUpRow[] }> {
  const seed = options.seed ?? DEFAULT_FOLLOWUP_SEED;
  const source = createCorpusSource([files.corpus]);
  const [corpus, claims] = await Promise.all([source.load(), readSciFactClaims(files.claims)]);
  const corpusIds = new Map(corpus.papers.map((p) => [p.id, p.ids.corpus]));
  const corpusIdOf = (id: string) => corpusIds.get(id);
  const cases = sample(answerCases(claims).cases, options.sample ?? DEFAULT_FOLLOWUP_SAMPLE, seed);
  const synthesize = createSynthesizer({ sources: [source], engine });
  const signal = options.signal ?? new AbortController().signal;
  const random = seededRandom(seed + 1);

  const rows: FollowUpRow[] = [];
  for (const c of cases) {
    signal.throwIfAborted();
    const allowed = followUpsFor(c.claim);
    const kinds = (['population', 'pronoun', 'rephrasing'] as const).filter((k) => allowed[k] !== undefined);
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    const asked = allowed[kind]!;
    const row: FollowUpRow = {
      id: c.id,
      claim: c.claim,
      gold: c.gold,
      kind,
      followup: asked,
      contextualised: '',
      original: scoreReport(c, undefined, () => undefined),
      answer: scoreReport(c, undefined, () => undefined),
      same_question: scoreReport(c, undefined, () => undefined),
      scope: null,
      gold_in_thread: false,
      ms: 0,
    };
    try {
      const report = await synthesize({ question: c.question }, { signal });
      row.original = scoreReport(c, report, corpusIdOf);
      const gold = new Set(c.goldDocs);
      row.gold_in_thread = report.references.some((r) => gold.has(corpusIdOf(r.id) ?? ''));
      // The saved report, as the CLI and the bot keep it.
      const saved = renderJson(report);
      const t0 = performance.now();
      const restored: Report = ReportSchema.parse(JSON.parse(saved));
      const result = await followUp(restored, asked, { engine, signal });
      row.ms = performance.now() - t0;
      row.contextualised = result.question;
      row.scope = result.scope;
      row.answer = scoreReport(c, result.report, corpusIdOf);
      row.same_question = scoreReport(c, (await followUp(restored, c.question, { engine, signal })).report, corpusIdOf);
    } catch (error) {
      if (signal.aborted) throw error;
      row.error = error instanceof SynthError ? error.code : 'internal';
    }
    rows.push(row);
  }
  return { result: summarizeFollowUps(rows, seed), rows };
}

/** The figures over the rows. */
export function summarizeFollowUps(rows: readonly FollowUpRow[], seed: number): FollowUpEvaluation {
  const decided = rows.filter((r) => r.gold !== 'NEI');
  const share = (of: readonly FollowUpRow[], test: (r: FollowUpRow) => boolean) => round4(of.length === 0 ? 0 : of.filter(test).length / of.length);
  const times = rows.filter((r) => r.error === undefined).map((r) => r.ms).sort((a, b) => a - b);
  const at = (q: number) => (times.length === 0 ? 0 : Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]!));
  const byKind: Record<string, AnswerMetrics & { claims: number }> = {};
  for (const kind of ['population', 'pronoun', 'rephrasing'] as const) {
    const of = rows.filter((r) => r.kind === kind);
    if (of.length > 0) byKind[kind] = summarizeAnswers(of.map((r) => r.answer));
  }
  const scope: Record<FollowUpOutcome, number> = { thread: 0, widened: 0, nothing: 0 };
  for (const r of rows) if (r.scope) scope[r.scope]++;
  return {
    claims: rows.length,
    seed,
    original: summarizeAnswers(rows.map((r) => r.original)),
    followup: {
      ...summarizeAnswers(rows.map((r) => r.answer)),
      gold_in_thread: share(decided, (r) => r.gold_in_thread),
      same_verdict_as_original: share(rows, (r) => r.answer.verdict === r.original.verdict),
      scope,
    },
    same_question_from_thread: summarizeAnswers(rows.map((r) => r.same_question)),
    by_kind: byKind,
    ms_per_followup: {
      mean: times.length === 0 ? 0 : Math.round(times.reduce((a, b) => a + b, 0) / times.length),
      p50: at(0.5),
      p95: at(0.95),
      max: times.length === 0 ? 0 : Math.round(times.at(-1)!),
    },
  };
}
