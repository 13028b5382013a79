/**
 * A compact BM25 index of adjacent term pairs, for the ranker's proximity bonus. A 5,000-abstract
 * corpus has about a million distinct pairs; keyed by strings they would cost hundreds of megabytes, so
 * pairs are hashed to 32 bits (FNV-1a) and the postings live in a few flat typed arrays (sorted hashes,
 * offsets, documents, frequencies), searched by binary search. A rare hash collision only blurs a bonus.
 */
import type { Bm25Options } from './bm25.js';

/** The pair index. */
export interface PairIndex {
  /** Hashes the adjacent pairs of a term sequence (order-free: `a b` equals `b a`). */
  pairsOf(terms: readonly string[]): number[];
  /** BM25 scores of documents for weighted pair hashes, for the given candidates only. */
  score(pairs: ReadonlyMap<number, number>, candidates: readonly number[]): Map<number, number>;
}

const DOC_BITS = 24n;
const TF_BITS = 8n;

/** FNV-1a over "a b" with a and b in sorted order. */
export function hashPair(a: string, b: string): number {
  // Written without closures or arrays: indexing a million-abstract corpus calls this a hundred million times.
  const first = a < b ? a : b;
  const second = a < b ? b : a;
  let h = 0x811c9dc5;
  for (let i = 0; i < first.length; i++) h = Math.imul(h ^ first.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x20, 0x01000193);
  for (let i = 0; i < second.length; i++) h = Math.imul(h ^ second.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The hashes of a term sequence's adjacent pairs, in order. */
export function pairsOf(terms: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < terms.length; i++) out.push(hashPair(terms[i]!, terms[i + 1]!));
  return out;
}

/** Builds the pair index over analysed documents (title pairs weigh `titleWeight`). */
export function createPairIndex(documents: readonly { title: readonly string[]; body: readonly string[] }[], options: Bm25Options): PairIndex {
  const { k1, b, titleWeight } = options;
  if (documents.length >= 2 ** Number(DOC_BITS)) throw new RangeError('too many documents for the pair index');
  // Frequencies are stored doubled, as integers, so a title weight of 1.5 stays exact.
  const entries: bigint[] = [];
  const lengths = new Float64Array(documents.length);
  let total = 0;
  documents.forEach((doc, index) => {
    const tf = new Map<number, number>();
    for (const h of pairsOf(doc.title)) tf.set(h, (tf.get(h) ?? 0) + titleWeight * 2);
    for (const h of pairsOf(doc.body)) tf.set(h, (tf.get(h) ?? 0) + 2);
    lengths[index] = Math.max(0, doc.title.length - 1) * titleWeight + Math.max(0, doc.body.length - 1);
    total += lengths[index]!;
    for (const [h, f] of tf) {
      entries.push((BigInt(h) << (DOC_BITS + TF_BITS)) | (BigInt(index) << TF_BITS) | BigInt(Math.min(255, Math.round(f))));
    }
  });
  const packed = BigUint64Array.from(entries);
  entries.length = 0;
  packed.sort();

  const docs = new Int32Array(packed.length);
  const tfs = new Float32Array(packed.length);
  const hashes: number[] = [];
  const offsets: number[] = [];
  let previous = -1;
  packed.forEach((entry, i) => {
    const h = Number(entry >> (DOC_BITS + TF_BITS));
    docs[i] = Number((entry >> TF_BITS) & ((1n << DOC_BITS) - 1n));
    tfs[i] = Number(entry & ((1n << TF_BITS) - 1n)) / 2;
    if (h !== previous) {
      hashes.push(h);
      offsets.push(i);
      previous = h;
    }
  });
  offsets.push(packed.length);
  const sortedHashes = Uint32Array.from(hashes);
  const starts = Int32Array.from(offsets);

  const n = documents.length;
  const avg = n > 0 ? total / n || 1 : 1;
  const find = (h: number): number => {
    let lo = 0;
    let hi = sortedHashes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = sortedHashes[mid]!;
      if (v === h) return mid;
      if (v < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  return {
    pairsOf,
    score(pairs, candidates) {
      const wanted = new Set(candidates);
      const scores = new Map<number, number>();
      for (const [h, qw] of pairs) {
        const slot = find(h);
        if (slot < 0) continue;
        const start = starts[slot]!;
        const end = starts[slot + 1]!;
        const df = end - start;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        for (let i = start; i < end; i++) {
          const doc = docs[i]!;
          if (!wanted.has(doc)) continue;
          const tf = tfs[i]!;
          const norm = k1 * (1 - b + (b * lengths[doc]!) / avg);
          scores.set(doc, (scores.get(doc) ?? 0) + (qw * idf * tf * (k1 + 1)) / (tf + norm));
        }
      }
      return scores;
    },
  };
}
