import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer, Report } from '../../src/model.js';
import { answerCases, claimQuestion, evaluateAnswers, scoreReport, summarizeAnswers, type AnswerCase } from '../../src/eval/answer.js';
import type { SciFactClaim } from '../../src/eval/scifact-claims.js';
import { evaluateOpenVerification } from '../../src/eval/verify-open.js';
import { paperSentences } from '../../src/text/sentences.js';
import { runCli } from '../helpers/cli.js';
import { scriptedEngine } from '../helpers/fakes.js';
import { FIXTURES, SCIFACT } from '../helpers/paths.js';

const CONTRACT_KEYS = ['claims', 'answer_accuracy', 'wrong_direction', 'abstained', 'gold_paper_cited', 'nei_confident'];

/** Real SciFact train claims: the first 3 SUPPORT, 2 CONTRADICT and 2 NEI, in file order. */
interface Fixture {
  dir: string;
  corpus: string;
  claims: string;
  picked: SciFactClaim[];
}

function labelOf(claim: SciFactClaim): 'SUPPORT' | 'CONTRADICT' | 'NEI' {
  return Object.values(claim.evidence ?? {})[0]?.[0]?.label ?? 'NEI';
}

async function buildFixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'eval-answer-'));
  const lines = (await readFile(SCIFACT.claimsTrain, 'utf8')).split('\n').filter((l) => l.trim());
  const wanted = { SUPPORT: 3, CONTRADICT: 2, NEI: 2 };
  const picked: SciFactClaim[] = [];
  for (const line of lines) {
    const claim = JSON.parse(line) as SciFactClaim;
    const label = labelOf(claim);
    if (wanted[label] === 0) continue;
    wanted[label]--;
    picked.push(claim);
  }
  const cited = new Set(picked.flatMap((c) => (c.cited_doc_ids ?? []).map(String)));
  const docs = gunzipSync(await readFile(SCIFACT.corpus)).toString('utf8').split('\n').filter((l) => l.trim());
  const gold = docs.filter((l) => cited.has(String((JSON.parse(l) as { doc_id: number }).doc_id)));
  const distractors = docs.filter((l) => !cited.has(String((JSON.parse(l) as { doc_id: number }).doc_id))).slice(0, 20);
  const corpus = join(dir, 'corpus.jsonl');
  const claims = join(dir, 'claims.jsonl');
  await writeFile(corpus, [...gold, ...distractors].join('\n'));
  await writeFile(claims, picked.map((c) => JSON.stringify(c)).join('\n'));
  return { dir, corpus, claims, picked };
}

let fx: Fixture;
beforeAll(async () => {
  fx = await buildFixture();
});
afterAll(async () => {
  await rm(fx.dir, { recursive: true, force: true });
});

describe('synthesize eval answer', () => {
  it('prints the contract keys in order, then the always-yes baseline of the same claims', async () => {
    const details = join(fx.dir, 'details.jsonl');
    const { code, stdout } = await runCli(['eval', 'answer', '--corpus', fx.corpus, '--claims', fx.claims, '--details', details]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual([...CONTRACT_KEYS, 'baseline_always_yes']);
    expect(Object.keys(result.baseline_always_yes)).toEqual(CONTRACT_KEYS);
    expect(result.claims).toBe(7);
    // 3 SUPPORT and 2 CONTRADICT: always-yes is right on 3 of 5, wrong on 2; it says yes to both NEI claims.
    expect(result.baseline_always_yes).toEqual({ claims: 7, answer_accuracy: 0.6, wrong_direction: 0.4, abstained: 0, gold_paper_cited: 0, nei_confident: 1 });
    for (const key of CONTRACT_KEYS.slice(1)) {
      expect(result[key]).toBeGreaterThanOrEqual(0);
      expect(result[key]).toBeLessThanOrEqual(1);
    }
    // The three outcomes of a decided claim partition it.
    expect(result.answer_accuracy + result.wrong_direction + result.abstained).toBeCloseTo(1, 3);

    const rows = (await readFile(details, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toEqual(fx.picked.map((c) => c.id));
    expect(rows.map((r) => r.gold)).toEqual(fx.picked.map(labelOf));
    expect(rows.map((r) => r.gold).sort()).toEqual(['CONTRADICT', 'CONTRADICT', 'NEI', 'NEI', 'SUPPORT', 'SUPPORT', 'SUPPORT']);
    for (const row of rows) expect(Object.keys(row)).toEqual(['id', 'claim', 'gold', 'verdict', 'confidence', 'gold_cited']);
    // NEI claims have no gold abstract to cite.
    expect(rows.filter((r) => r.gold === 'NEI').every((r) => r.gold_cited === false)).toBe(true);
    const decided = rows.filter((r) => r.gold !== 'NEI');
    expect(result.gold_paper_cited).toBeCloseTo(decided.filter((r) => r.gold_cited).length / decided.length, 4);
  });

  it('--limit evaluates the first claims only, and the baseline follows', async () => {
    const { code, stdout } = await runCli(['eval', 'answer', '--corpus', fx.corpus, '--claims', fx.claims, '--limit', '4', '--max-papers', '5']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.claims).toBe(4);
    // The first four picked claims in file order are NEI, CONTRADICT, NEI, SUPPORT.
    expect(answerCases(fx.picked).cases.slice(0, 4).map((c) => c.gold)).toEqual(['NEI', 'CONTRADICT', 'NEI', 'SUPPORT']);
    expect(result.baseline_always_yes).toEqual({ claims: 4, answer_accuracy: 0.5, wrong_direction: 0.5, abstained: 0, gold_paper_cited: 0, nei_confident: 1 });
  });

  it('names a missing file and exits 1; a missing option exits 2', async () => {
    const missing = await runCli(['eval', 'answer', '--corpus', fx.corpus, '--claims', '/no/claims.jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read claims \/no\/claims\.jsonl/);
    const noCorpus = await runCli(['eval', 'answer', '--corpus', '/no/corpus.jsonl', '--claims', fx.claims]);
    expect(noCorpus.code).toBe(1);
    expect(noCorpus.stderr).toMatch(/Cannot read corpus \/no\/corpus\.jsonl/);
    const usage = await runCli(['eval', 'answer', '--corpus', fx.corpus]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--claims <file>' not specified/);
  });
});

describe('synthesize eval verify --open', () => {
  it('prints claims, k, precision, recall and f1', async () => {
    const { code, stdout } = await runCli(['eval', 'verify', '--open', '--k', '2', '--corpus', fx.corpus, '--claims', fx.claims]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['claims', 'k', 'precision', 'recall', 'f1']);
    expect(result).toMatchObject({ claims: 7, k: 2 });
    for (const key of ['precision', 'recall', 'f1']) {
      expect(result[key]).toBeGreaterThanOrEqual(0);
      expect(result[key]).toBeLessThanOrEqual(1);
    }
  });

  it('counts a retrieved, plainly supported gold abstract as correct', async () => {
    // Claim 1 of the exercise fixture is stated almost verbatim by ex1, its gold SUPPORT abstract.
    const claims = join(fx.dir, 'one-claim.jsonl');
    const all = (await readFile(join(FIXTURES, 'eval/claims.jsonl'), 'utf8')).split('\n');
    await writeFile(claims, all[0]!);
    const corpus = join(FIXTURES, 'corpus/exercise.jsonl');
    const { code, stdout } = await runCli(['eval', 'verify', '--open', '--k', '1', '--corpus', corpus, '--claims', claims]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ claims: 1, k: 1, precision: 1, recall: 1, f1: 1 });
  });

  it('counts a label only on a gold abstract with that label, and any label on an NEI claim as wrong', async () => {
    // An engine that supports everything: right on claim 1 (SUPPORT, ex1), wrong on claim 2 (gold
    // CONTRADICT) and on claim 3 (no evidence): precision 1/3, recall 1/2 (two gold pairs).
    const engine = scriptedEngine({ verify: async () => ({ verdict: 'supported', confidence: 0.9, evidence: [] }) });
    const files = { corpus: join(FIXTURES, 'corpus/exercise.jsonl'), claims: join(FIXTURES, 'eval/claims.jsonl') };
    expect(await evaluateOpenVerification(files, engine, { k: 1 })).toEqual({ claims: 3, k: 1, precision: 0.3333, recall: 0.5, f1: 0.4 });
  });

  it('keeps eval verify without --open unchanged', async () => {
    const { stdout } = await runCli(['eval', 'verify', '--corpus', join(FIXTURES, 'corpus/exercise.jsonl'), '--claims', join(FIXTURES, 'eval/claims.jsonl')]);
    expect(Object.keys(JSON.parse(stdout))).toEqual(['pairs', 'macro_f1', 'accuracy', 'f1', 'rationale_f1']);
  });
});

describe('answer scoring', () => {
  const claim = (id: number, evidence: Record<string, ('SUPPORT' | 'CONTRADICT')[]>, text = `Claim ${id}.`): SciFactClaim => ({
    id,
    claim: text,
    evidence: Object.fromEntries(Object.entries(evidence).map(([doc, labels]) => [doc, labels.map((label) => ({ sentences: [0], label }))])),
    cited_doc_ids: Object.keys(evidence),
  });

  it('asks the claim as a yes/no question without its final period', () => {
    expect(claimQuestion('Aspirin reduces colorectal cancer risk.')).toBe('Is it true that Aspirin reduces colorectal cancer risk?');
    expect(claimQuestion('  pH 7.4 is neutral enough ')).toBe('Is it true that pH 7.4 is neutral enough?');
  });

  it('takes the majority label of the evidence abstracts, skips even splits, and calls no evidence NEI', () => {
    const { cases, ties } = answerCases([
      claim(1, { a: ['SUPPORT'], b: ['SUPPORT'], c: ['CONTRADICT'] }),
      claim(2, { a: ['CONTRADICT', 'CONTRADICT'] }),
      claim(3, { a: ['SUPPORT'], b: ['CONTRADICT'] }),
      claim(4, {}),
    ]);
    expect(ties).toBe(1);
    expect(cases.map((c) => [c.id, c.gold, c.goldDocs])).toEqual([
      [1, 'SUPPORT', ['a', 'b', 'c']],
      [2, 'CONTRADICT', ['a']],
      [4, 'NEI', []],
    ]);
  });

  const base: AnswerCase = { id: 7, claim: 'X lowers Y.', question: 'Is it true that X lowers Y?', gold: 'SUPPORT', goldDocs: ['42'] };
  const report = (claims: { paperId: string; evidence?: string[] }[], answer?: Answer): Report =>
    ({
      claims: claims.map((c, i) => ({
        id: `c${i + 1}`,
        text: 'A claim.',
        paperId: c.paperId,
        quote: 'A claim.',
        verification: { verdict: 'supported', confidence: 0.8, evidence: (c.evidence ?? []).map((paperId) => ({ paperId, quote: 'q', stance: 'supports' })) },
      })),
      ...(answer ? { answer } : {}),
    }) as unknown as Report;
  const corpusIdOf = (id: string) => id.replace(/^corpus:/, '');
  const yes: Answer = { verdict: 'yes', confidence: 'medium', basis: ['c1'], text: 'Yes [1].' };

  it('counts a gold abstract cited by a claim or by an evidence item, compared by corpus id', () => {
    expect(scoreReport(base, report([{ paperId: 'corpus:42' }], yes), corpusIdOf)).toMatchObject({ verdict: 'yes', confidence: 'medium', gold_cited: true });
    expect(scoreReport(base, report([{ paperId: 'corpus:1', evidence: ['corpus:42'] }], yes), corpusIdOf).gold_cited).toBe(true);
    expect(scoreReport(base, report([{ paperId: 'corpus:1', evidence: ['corpus:2'] }], yes), corpusIdOf).gold_cited).toBe(false);
    // A paper id is not a corpus id: "42" as a report paper id only counts through the mapping.
    expect(scoreReport(base, report([{ paperId: '42' }], yes), () => undefined).gold_cited).toBe(false);
    expect(scoreReport(base, report([{ paperId: 'corpus:42' }]), corpusIdOf)).toMatchObject({ verdict: null, confidence: null });
  });

  it('scores yes/no against the gold direction and everything else as abstained', () => {
    const row = (gold: AnswerCase['gold'], verdict: Answer['verdict'] | null, cited = false) => ({
      ...scoreReport({ ...base, gold }, undefined, corpusIdOf),
      verdict,
      gold_cited: cited,
    });
    const metrics = summarizeAnswers([
      row('SUPPORT', 'yes', true),
      row('SUPPORT', 'no'),
      row('CONTRADICT', 'no', true),
      row('CONTRADICT', 'mixed'),
      row('SUPPORT', null),
      row('NEI', 'no'),
      row('NEI', 'insufficient'),
      row('NEI', 'not-applicable'),
    ]);
    expect(metrics).toEqual({ claims: 8, answer_accuracy: 0.4, wrong_direction: 0.2, abstained: 0.4, gold_paper_cited: 0.4, nei_confident: 0.3333 });
  });

  it('reads the answer of the real pipeline: a scripted engine gets exactly the metrics its answers deserve', async () => {
    const cases = answerCases(fx.picked).cases;
    // One scripted verdict per claim, in file order: the first SUPPORT right, the second wrong, the
    // third mixed; the first CONTRADICT right, the second unanswered; one NEI answered yes, one not.
    const plan: Record<string, Answer['verdict'] | undefined> = {};
    const byGold = { SUPPORT: ['yes', 'no', 'mixed'], CONTRADICT: ['no', undefined], NEI: ['yes', 'insufficient'] } as const;
    const seen = { SUPPORT: 0, CONTRADICT: 0, NEI: 0 };
    for (const c of cases) plan[c.question] = byGold[c.gold][seen[c.gold]++];
    const engine = scriptedEngine({
      // No key terms, so screening keeps every retrieved abstract and each question has papers.
      plan: async (question) => ({ query: question, keyTerms: [], terms: [] }),
      // One claim from the first included paper, so a yes or no has a basis the core keeps.
      extract: async ({ papers }) => {
        const sentence = paperSentences(papers[0]!).find((s) => /^[A-Z].*\.$/.test(s) && s.split(' ').length >= 6)!;
        return [{ text: sentence, paperId: papers[0]!.id, quote: sentence }];
      },
      verify: async () => ({ verdict: 'insufficient', confidence: 0.1, evidence: [] }),
      compose: async ({ question, claims }) => {
        const verdict = plan[question];
        return {
          title: 'T',
          abstract: 'A.',
          ...(verdict ? { answer: { verdict, confidence: 'low' as const, basis: claims.map((c) => c.id), text: 'Scripted.' } } : {}),
        };
      },
    });
    const evaluation = await evaluateAnswers({ corpus: fx.corpus, claims: fx.claims }, engine);
    expect(evaluation.failed).toBe(0);
    expect(evaluation.rows.map((r) => r.verdict)).toEqual(cases.map((c) => plan[c.question] ?? null));
    expect(evaluation.result).toMatchObject({ claims: 7, answer_accuracy: 0.4, wrong_direction: 0.2, abstained: 0.4, nei_confident: 0.5 });
    expect(evaluation.baseline).toEqual({ claims: 7, answer_accuracy: 0.6, wrong_direction: 0.4, abstained: 0, gold_paper_cited: 0, nei_confident: 1 });
  });
});
