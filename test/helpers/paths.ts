/** Paths the tests use: the repository root, its fixtures and the shared data beside it. */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The project's own fixtures. */
export const FIXTURES = resolve(ROOT, 'test/fixtures');
/** The shared real data (SciFact, recorded API responses, specs), outside the repository. */
export const SHARED_DATA = resolve(ROOT, '..', 'shared', 'data');
/** SciFact files. */
export const SCIFACT = {
  corpus: resolve(SHARED_DATA, 'scifact/corpus.jsonl.gz'),
  claimsTrain: resolve(SHARED_DATA, 'scifact/claims_train.jsonl'),
  queries: resolve(SHARED_DATA, 'scifact/beir/queries.jsonl'),
  qrelsTrain: resolve(SHARED_DATA, 'scifact/beir/qrels/train.tsv'),
};
