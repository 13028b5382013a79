import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimAsQuestion, followUpsFor, sample } from '../../src/eval/followup.js';
import { contextualise } from '../../src/pipeline/followup.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/paths.js';

const files = { corpus: join(FIXTURES, 'corpus/exercise.jsonl'), claims: join(FIXTURES, 'eval/claims.jsonl') };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eval-followup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('synthesize eval followup', () => {
  it('prints the original run, the follow-up from the thread and the same question from the thread, with times', async () => {
    const details = join(dir, 'details.jsonl');
    const { code, stdout, stderr } = await runCli(['eval', 'followup', '--corpus', files.corpus, '--claims', files.claims, '--sample', '3', '--details', details]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['claims', 'seed', 'original', 'followup', 'same_question_from_thread', 'by_kind', 'ms_per_followup']);
    expect(result).toMatchObject({ claims: 3, seed: 1 });
    expect(Object.keys(result.followup)).toEqual(['claims', 'answer_accuracy', 'wrong_direction', 'abstained', 'gold_paper_cited', 'nei_confident', 'gold_in_thread', 'same_verdict_as_original', 'scope']);
    expect(result.followup.scope.widened).toBe(0);
    expect(result.followup.scope.thread + result.followup.scope.nothing).toBe(3);
    expect(result.ms_per_followup.max).toBeLessThan(1000);
    const rows = (await readFile(details, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.contextualised).toBe(contextualise(`Is it true that ${row.claim.replace(/\.$/, '')}?`, row.followup));
      expect(['population', 'pronoun', 'rephrasing']).toContain(row.kind);
    }
    // Claim 1 (SUPPORT, ex1) is answered yes from the thread as it was over the corpus.
    const first = rows.find((r) => r.id === 1);
    expect(first.original).toMatchObject({ verdict: 'yes', gold_cited: true });
    expect(first.same_question).toMatchObject({ verdict: 'yes', gold_cited: true });
  });

  it('samples the same claims for the same seed', async () => {
    const a = await runCli(['eval', 'followup', '--corpus', files.corpus, '--claims', files.claims, '--sample', '2', '--seed', '7']);
    const b = await runCli(['eval', 'followup', '--corpus', files.corpus, '--claims', files.claims, '--sample', '2', '--seed', '7']);
    const strip = (s: string) => ({ ...JSON.parse(s), ms_per_followup: undefined });
    expect(strip(a.stdout)).toEqual(strip(b.stdout));
    expect(sample([1, 2, 3, 4, 5], 3, 7)).toEqual(sample([1, 2, 3, 4, 5], 3, 7));
    expect(new Set(sample([1, 2, 3, 4, 5], 5, 7)).size).toBe(5);
  });
});

describe('follow-ups built from a claim', () => {
  it('asks a claim as a direct question, or with "it"/"they" as its subject', () => {
    expect(claimAsQuestion('Vitamin D supplementation reduces fracture risk in elderly women.')).toBe('Does vitamin D supplementation reduce fracture risk in elderly women?');
    expect(claimAsQuestion('Vitamin D supplementation reduces fracture risk in elderly women.', true)).toBe('Does it reduce fracture risk in elderly women?');
    expect(claimAsQuestion('Statins reduce mortality.', true)).toBe('Do they reduce mortality?');
    expect(claimAsQuestion('Obesity is associated with higher mortality.')).toBe('Is obesity associated with higher mortality?');
    expect(claimAsQuestion('IL-6 can promote tumour growth.')).toBe('Can IL-6 promote tumour growth?');
    // Negated, or split at a participle: not turned into a question.
    expect(claimAsQuestion('Aspirin does not reduce mortality.')).toBeUndefined();
    expect(claimAsQuestion('Ectopic expression of Sall4 generates induced pluripotent stem cells.')).toBeUndefined();
  });

  it('offers a population fragment only for a short population phrase', () => {
    expect(followUpsFor('Vitamin D supplementation reduces fracture risk in elderly women.')).toEqual({
      population: 'What about in elderly women?',
      pronoun: 'Does it reduce fracture risk in elderly women?',
      rephrasing: 'Does vitamin D supplementation reduce fracture risk in elderly women?',
    });
    expect(followUpsFor('Aspirin does not reduce mortality.')).toEqual({ rephrasing: 'Does the evidence show that aspirin does not reduce mortality?' });
  });

  it('contextualises each kind back to a question about the claim', () => {
    const original = 'Is it true that Vitamin D supplementation reduces fracture risk in elderly women?';
    expect(contextualise(original, 'What about in elderly women?')).toBe(original);
    expect(contextualise(original, 'Does it reduce fracture risk in elderly women?')).toBe('Does vitamin D supplementation reduce fracture risk in elderly women?');
  });
});
