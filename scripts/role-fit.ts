/**
 * Fitting and scoring the sentence-role model, shared by `scripts/train-roles.ts` (which writes
 * `src/engines/extractive/role-weights.ts`) and `npm run eval` (which calls {@link evaluateRoles}).
 * Data: the labelled abstracts of SciFact's corpus and of the recorded PubMed efetch responses; the
 * labels are stripped before featurising, so the model never sees them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { classificationReport } from '../src/eval/metrics.js';
import { roleFeatures, type RoleDecode, type RoleModel } from '../src/engines/extractive/role-features.js';
import { parseSectionLabel, SENTENCE_ROLES, type SentenceRole } from '../src/text/section-labels.js';
import { createRoleClassifier } from '../src/engines/extractive/roles.js';
import { splitSentences } from '../src/text/sentences.js';

/** One sentence of a labelled abstract, label stripped; `role` is its gold role when its label names exactly one. */
export interface LabelledSentence {
  text: string;
  role: SentenceRole | undefined;
}

/** A labelled abstract: its id (`scifact:4983`, `pubmed:27797938`) and sentences in order. */
export interface LabelledAbstract {
  id: string;
  sentences: LabelledSentence[];
}

/** Held-out figures of one classifier: sentence accuracy, macro-F1 and per-role F1. */
export interface RoleScores {
  accuracy: number;
  macro_f1: number;
  f1: Record<SentenceRole, number>;
}

/** Fitting settings; the defaults are the shipped ones. */
export interface FitOptions {
  /** A feature must occur in at least this many training sentences. */
  minCount: number;
  /** Features kept after the first fit (by weight spread), for the refit and the shipped file. */
  maxFeatures: number;
  epochs: number;
  rate: number;
  l2: number;
  decode: RoleDecode;
  priorPower: number;
}

/** The shipped fitting settings. */
export const DEFAULT_FIT: FitOptions = { minCount: 5, maxFeatures: 5000, epochs: 12, rate: 0.02, l2: 1e-5, decode: 'posterior', priorPower: 0.5 };

/** Labelled sentences from raw abstract sentences: labels stripped, their roles carried forward. */
export function labelSentences(raw: readonly string[]): { sentences: LabelledSentence[]; labels: number } {
  let current: readonly SentenceRole[] | undefined;
  let labels = 0;
  const sentences: LabelledSentence[] = [];
  for (const sentence of raw) {
    const label = parseSectionLabel(sentence);
    if (label) {
      current = label.roles;
      if (label.roles.length > 0) labels++;
    }
    const text = label ? label.text : sentence.trim();
    if (text) sentences.push({ text, role: current?.length === 1 ? current[0] : undefined });
  }
  return { sentences, labels };
}

async function readSciFact(dataDir: string): Promise<LabelledAbstract[]> {
  const raw = gunzipSync(await readFile(join(dataDir, 'scifact', 'corpus.jsonl.gz'))).toString('utf8');
  const out: LabelledAbstract[] = [];
  for (const line of raw.split('\n')) {
    if (!line.trim()) continue;
    const doc = JSON.parse(line) as { doc_id: number; abstract: string[] };
    const { sentences, labels } = labelSentences(doc.abstract);
    if (labels >= 2) out.push({ id: `scifact:${doc.doc_id}`, sentences });
  }
  return out;
}

const NLM_CATEGORY: Record<string, SentenceRole> = {
  BACKGROUND: 'background',
  OBJECTIVE: 'objective',
  METHODS: 'methods',
  RESULTS: 'results',
  CONCLUSIONS: 'conclusions',
};

type XmlNode = Record<string, unknown>;
const asArray = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

async function readPubMed(dataDir: string): Promise<LabelledAbstract[]> {
  const dir = join(dataDir, 'pubmed-eutils', 'efetch');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.xml')).sort();
  // AbstractText may hold inline markup (<i>, <sup>); keep it raw and strip the tags.
  const parser = new XMLParser({ ignoreAttributes: false, stopNodes: ['*.AbstractText'] });
  const out: LabelledAbstract[] = [];
  for (const file of files) {
    const xml = parser.parse(await readFile(join(dir, file), 'utf8')) as XmlNode;
    const articles = asArray((xml.PubmedArticleSet as XmlNode | undefined)?.PubmedArticle) as XmlNode[];
    for (const article of articles) {
      const citation = article.MedlineCitation as XmlNode | undefined;
      const pmid = String((citation?.PMID as XmlNode | undefined)?.['#text'] ?? citation?.PMID ?? '');
      const parts = asArray(((citation?.Article as XmlNode | undefined)?.Abstract as XmlNode | undefined)?.AbstractText);
      const sentences: LabelledSentence[] = [];
      let labels = 0;
      for (const part of parts) {
        const node = (typeof part === 'object' && part !== null ? part : { '#text': part }) as XmlNode;
        const category = String(node['@_NlmCategory'] ?? '');
        const label = String(node['@_Label'] ?? '');
        const fromLabel = label ? parseSectionLabel(`${label}:`)?.roles : undefined;
        const role = NLM_CATEGORY[category] ?? (fromLabel?.length === 1 ? fromLabel[0] : undefined);
        if (role) labels++;
        const text = String(node['#text'] ?? '').replace(/<[^>]+>/g, '');
        for (const s of splitSentences(text)) sentences.push({ text: s, role });
      }
      if (labels >= 2 && pmid) out.push({ id: `pubmed:${pmid}`, sentences });
    }
  }
  return out;
}

/** Every labelled abstract under `dataDir` (the shared data directory), SciFact first, in file order. */
export async function loadLabelledAbstracts(dataDir: string): Promise<LabelledAbstract[]> {
  return [...(await readSciFact(dataDir)), ...(await readPubMed(dataDir))];
}

/** FNV-1a of a string, unsigned 32-bit. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** True for the ~20 % of abstracts held out from fitting (by a hash of the id, so stable). */
export function isHeldOut(id: string): boolean {
  return hashId(id) % 5 === 0;
}

/** A small deterministic generator (mulberry32) for shuffling. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Example {
  x: number[];
  y: number;
}

/** Gold-labelled training examples over a fixed feature index. */
function examples(abstracts: readonly LabelledAbstract[], index: ReadonlyMap<string, number>): Example[] {
  const out: Example[] = [];
  for (const a of abstracts) {
    a.sentences.forEach((s, i) => {
      if (!s.role) return;
      const x = roleFeatures(s.text, i, a.sentences.length).map((f) => index.get(f)).filter((j): j is number => j !== undefined);
      out.push({ x, y: SENTENCE_ROLES.indexOf(s.role) });
    });
  }
  return out;
}

/** Multinomial logistic regression by shuffled SGD with AdaGrad steps and L2 on touched weights. */
function fitLogistic(data: readonly Example[], features: number, options: FitOptions): { weights: Float64Array; bias: number[] } {
  const k = SENTENCE_ROLES.length;
  const weights = new Float64Array(features * k);
  const squares = new Float64Array(features * k).fill(1e-8);
  const bias = new Array<number>(k).fill(0);
  const biasSquares = new Array<number>(k).fill(1e-8);
  const order = data.map((_, i) => i);
  const next = random(17);
  const logits = new Array<number>(k);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const n of order) {
      const { x, y } = data[n]!;
      for (let r = 0; r < k; r++) {
        let s = bias[r]!;
        for (const f of x) s += weights[f * k + r]!;
        logits[r] = s;
      }
      const max = Math.max(...logits);
      let z = 0;
      for (let r = 0; r < k; r++) z += Math.exp(logits[r]! - max);
      for (let r = 0; r < k; r++) {
        const g = Math.exp(logits[r]! - max) / z - (r === y ? 1 : 0);
        biasSquares[r]! += g * g;
        bias[r]! -= (options.rate * g) / Math.sqrt(biasSquares[r]!);
        for (const f of x) {
          const at = f * k + r;
          const gw = g + options.l2 * weights[at]!;
          squares[at]! += gw * gw;
          weights[at]! -= (options.rate * gw) / Math.sqrt(squares[at]!);
        }
      }
    }
  }
  return { weights, bias };
}

/** Start, transition and prior log probabilities from gold role sequences, add-one smoothed. */
function sequenceStats(abstracts: readonly LabelledAbstract[]): Pick<RoleModel, 'start' | 'transition' | 'prior'> {
  const k = SENTENCE_ROLES.length;
  const start = new Array<number>(k).fill(1);
  const transition = Array.from({ length: k }, () => new Array<number>(k).fill(1));
  const prior = new Array<number>(k).fill(1);
  for (const a of abstracts) {
    const first = a.sentences[0]?.role;
    if (first) start[SENTENCE_ROLES.indexOf(first)]!++;
    a.sentences.forEach((s, i) => {
      if (!s.role) return;
      prior[SENTENCE_ROLES.indexOf(s.role)]!++;
      const prev = a.sentences[i - 1]?.role;
      if (prev) transition[SENTENCE_ROLES.indexOf(prev)]![SENTENCE_ROLES.indexOf(s.role)]!++;
    });
  }
  const logNormal = (row: number[]): number[] => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((v) => Math.log(v / total));
  };
  return { start: logNormal(start), transition: transition.map(logNormal), prior: logNormal(prior) };
}

/**
 * Fits the role model on `abstracts`: vocabulary of features seen in at least `minCount` gold
 * sentences, a first fit, the `maxFeatures` features whose weights differ most across roles, a
 * refit on those, and the sequence statistics.
 */
export function fitRoleModel(abstracts: readonly LabelledAbstract[], options: FitOptions = DEFAULT_FIT): RoleModel {
  const k = SENTENCE_ROLES.length;
  const counts = new Map<string, number>();
  for (const a of abstracts) {
    a.sentences.forEach((s, i) => {
      if (!s.role) return;
      for (const f of roleFeatures(s.text, i, a.sentences.length)) counts.set(f, (counts.get(f) ?? 0) + 1);
    });
  }
  let vocabulary = [...counts].filter(([, n]) => n >= options.minCount).map(([f]) => f).sort();
  let fitted = fitLogistic(examples(abstracts, new Map(vocabulary.map((f, i) => [f, i]))), vocabulary.length, options);
  if (vocabulary.length > options.maxFeatures) {
    const spread = vocabulary.map((f, i) => {
      const w = Array.from(fitted.weights.subarray(i * k, i * k + k));
      return { f, spread: Math.max(...w) - Math.min(...w) };
    });
    vocabulary = spread.sort((a, b) => b.spread - a.spread || (a.f < b.f ? -1 : 1)).slice(0, options.maxFeatures).map((s) => s.f).sort();
    fitted = fitLogistic(examples(abstracts, new Map(vocabulary.map((f, i) => [f, i]))), vocabulary.length, options);
  }
  return {
    roles: SENTENCE_ROLES,
    features: vocabulary,
    weights: Array.from(fitted.weights),
    bias: fitted.bias,
    ...sequenceStats(abstracts),
    priorPower: options.priorPower,
    decode: options.decode,
  };
}

/** Scores gold/predicted pairs: accuracy, macro-F1, per-role F1. */
export function scorePairs(pairs: readonly { gold: SentenceRole; predicted: SentenceRole }[]): RoleScores {
  const report = classificationReport(SENTENCE_ROLES, pairs);
  return { accuracy: report.accuracy, macro_f1: report.macroF1, f1: report.perClass };
}

/** Gold/predicted pairs of `predict` (one abstract's label-free sentences in, one role per sentence out). */
export function predictPairs(
  abstracts: readonly LabelledAbstract[],
  predict: (sentences: readonly string[]) => readonly SentenceRole[],
): { gold: SentenceRole; predicted: SentenceRole }[] {
  const pairs: { gold: SentenceRole; predicted: SentenceRole }[] = [];
  for (const a of abstracts) {
    const roles = predict(a.sentences.map((s) => s.text));
    a.sentences.forEach((s, i) => {
      if (s.role) pairs.push({ gold: s.role, predicted: roles[i]! });
    });
  }
  return pairs;
}

/** The model's predictions with a given decode. */
export function modelPredictor(model: RoleModel, decode?: RoleDecode, priorPower?: number): (sentences: readonly string[]) => SentenceRole[] {
  const classify = createRoleClassifier(model, { ...(decode ? { decode } : {}), ...(priorPower !== undefined ? { priorPower } : {}) });
  return (sentences) => classify(sentences).map((g) => g.role);
}

/** Baselines fitted on `train`: the majority role, and the majority role per relative position. */
export function baselinePredictors(train: readonly LabelledAbstract[]): {
  majority: (sentences: readonly string[]) => SentenceRole[];
  position: (sentences: readonly string[]) => SentenceRole[];
} {
  const key = (i: number, n: number): string => (i === 0 ? 'first' : i === n - 1 ? 'last' : `b${Math.min(9, Math.floor((10 * i) / n))}`);
  const overall = new Map<SentenceRole, number>();
  const byKey = new Map<string, Map<SentenceRole, number>>();
  for (const a of train) {
    a.sentences.forEach((s, i) => {
      if (!s.role) return;
      overall.set(s.role, (overall.get(s.role) ?? 0) + 1);
      const k = key(i, a.sentences.length);
      const m = byKey.get(k) ?? new Map<SentenceRole, number>();
      byKey.set(k, m.set(s.role, (m.get(s.role) ?? 0) + 1));
    });
  }
  const top = (m: ReadonlyMap<SentenceRole, number> | undefined): SentenceRole =>
    [...(m ?? overall)].sort((a, b) => b[1] - a[1] || SENTENCE_ROLES.indexOf(a[0]) - SENTENCE_ROLES.indexOf(b[0]))[0]![0];
  const majority = top(overall);
  return {
    majority: (sentences) => sentences.map(() => majority),
    position: (sentences) => sentences.map((_, i) => top(byKey.get(key(i, sentences.length)))),
  };
}

/** Held-out figures of the role model fitted on the other 80 %, beside the two baselines. */
export interface RoleEvaluation extends RoleScores {
  abstracts: number;
  sentences: number;
  baselines: { majority: RoleScores; position: RoleScores };
}

/**
 * Fits on the training 80 % of the labelled abstracts under `dataDir` and scores the held-out 20 %
 * (labels stripped) with the shipped settings, beside the majority-role and position-only baselines.
 */
export async function evaluateRoles(dataDir: string, options: FitOptions = DEFAULT_FIT): Promise<RoleEvaluation> {
  const all = await loadLabelledAbstracts(dataDir);
  const train = all.filter((a) => !isHeldOut(a.id));
  const test = all.filter((a) => isHeldOut(a.id));
  const model = fitRoleModel(train, options);
  const pairs = predictPairs(test, modelPredictor(model));
  const base = baselinePredictors(train);
  return {
    abstracts: test.length,
    sentences: pairs.length,
    ...scorePairs(pairs),
    baselines: { majority: scorePairs(predictPairs(test, base.majority)), position: scorePairs(predictPairs(test, base.position)) },
  };
}
