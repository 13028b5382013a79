/**
 * A separate process for the concurrent-build test: makes the corpus index in argv[2] current for the
 * corpus file argv[3], then prints what it did as one JSON line (whether it built, waited, and the
 * papers it sees).
 */
import { openCorpusIndex } from '../../src/corpus-index/corpus-index.js';

const [dir, corpus] = process.argv.slice(2) as [string, string];
let waited = false;
let built = false;
const index = openCorpusIndex(dir);
const result = await index.ensure([corpus], (p) => {
  if (p.phase === 'waiting') waited = true;
  else built = true;
});
const hits = index.search(result.files, 'aspirin colorectal cancer', 5);
process.stdout.write(`${JSON.stringify({ built, waited, papers: result.files[0]?.papers ?? 0, top: hits.map((h) => h.paper.id) })}\n`);
