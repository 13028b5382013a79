import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/paths.js';

const corpus = join(FIXTURES, 'corpus/exercise.jsonl');
const dir = join(FIXTURES, 'eval');

describe('synthesize eval', () => {
  it('retrieval prints one JSON line with the contract keys', async () => {
    const { code, stdout } = await runCli(['eval', 'retrieval', '--corpus', corpus, '--queries', join(dir, 'queries.jsonl'), '--qrels', join(dir, 'qrels.tsv')]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['queries', 'ndcg@10', 'recall@100']);
    // Only judged queries count; both are easy here.
    expect(result).toEqual({ queries: 2, 'ndcg@10': 1, 'recall@100': 1 });
  });

  it('verify prints one JSON line with the contract keys, through the engine', async () => {
    const { code, stdout } = await runCli(['eval', 'verify', '--corpus', corpus, '--claims', join(dir, 'claims.jsonl')]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['pairs', 'macro_f1', 'accuracy', 'f1', 'rationale_f1']);
    expect(Object.keys(result.f1)).toEqual(['SUPPORT', 'CONTRADICT', 'NEI']);
    expect(result.pairs).toBe(3);
    // The plainly supported pair is found, with its rationale sentence.
    expect(result.f1.SUPPORT).toBeGreaterThan(0);
    expect(result.rationale_f1).toBeGreaterThan(0);
    for (const value of [result.macro_f1, result.accuracy, result.rationale_f1]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it('names a missing file and exits 1; a missing option exits 2', async () => {
    const missing = await runCli(['eval', 'verify', '--corpus', corpus, '--claims', '/no/claims.jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read claims \/no\/claims\.jsonl/);
    const usage = await runCli(['eval', 'retrieval', '--corpus', corpus]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--queries <file>' not specified/);
  });
});
