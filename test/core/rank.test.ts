import { describe, expect, it } from 'vitest';
import { BASELINE_BM25, createBm25Index } from '../../src/rank/bm25.js';
import { createLexicalRanker, DEFAULT_RANKER_OPTIONS, PLAIN_RANKER_OPTIONS } from '../../src/rank/lexical-ranker.js';
import { createPairIndex, hashPair } from '../../src/rank/pair-index.js';
import { ndcgAtK, recallAtK } from '../../src/eval/metrics.js';

const docs = [
  { title: 'Exercise and depression', abstract: 'Aerobic exercise reduced depressive symptoms in a randomized trial.' },
  { title: 'Photosynthesis in C4 plants', abstract: 'C4 plants concentrate carbon dioxide.' },
  { title: 'Diet and mood', abstract: 'A Mediterranean diet was associated with fewer depressive symptoms.' },
];

describe('BM25', () => {
  it('ranks the document that shares the rare terms first and skips unrelated ones', () => {
    const ranker = createLexicalRanker(docs, PLAIN_RANKER_OPTIONS);
    const hits = ranker.search('exercise for depression', 10);
    expect(hits[0]?.index).toBe(0);
    expect(hits.map((h) => h.index)).not.toContain(1);
  });

  it('gives a rarer term a higher IDF and scores single documents like the search does', () => {
    const index = createBm25Index<string>(
      [
        { title: ['a'], body: ['x', 'y'] },
        { title: ['b'], body: ['x'] },
      ],
      BASELINE_BM25,
    );
    expect(index.idf('y')).toBeGreaterThan(index.idf('x'));
    expect(index.idf('zzz')).toBe(0);
    const hit = index.search(['x', 'y'], 1)[0]!;
    expect(index.scoreDocument(['x', 'y'], hit.index)).toBeCloseTo(hit.score, 10);
  });

  it('the tuned ranker still finds the obvious document', () => {
    const ranker = createLexicalRanker(docs, DEFAULT_RANKER_OPTIONS);
    expect(ranker.search('Mediterranean diet depressive symptoms', 3)[0]?.index).toBe(2);
  });
});

describe('the pair index', () => {
  it('hashes pairs order-free and scores only documents where the pair stands adjacent', () => {
    expect(hashPair('vitamin', 'd')).toBe(hashPair('d', 'vitamin'));
    expect(hashPair('vitamin', 'd')).not.toBe(hashPair('vitamin', 'e'));
    const index = createPairIndex(
      [
        { title: [], body: ['vitamin', 'd', 'fractur'] },
        { title: [], body: ['d', 'vitamin'] },
        { title: [], body: ['vitamin', 'e', 'd'] },
      ],
      BASELINE_BM25,
    );
    const scores = index.score(new Map([[hashPair('vitamin', 'd'), 1]]), [0, 1, 2]);
    expect([...scores.keys()].sort()).toEqual([0, 1]);
    expect(index.score(new Map([[hashPair('vitamin', 'd'), 1]]), [1]).has(0)).toBe(false);
  });
});

describe('ranking metrics', () => {
  it('computes nDCG@k and recall@k as BEIR does', () => {
    const rel = new Map([['a', 1], ['b', 1]]);
    expect(ndcgAtK(['a', 'b', 'c'], rel, 10)).toBeCloseTo(1, 10);
    // One relevant document at rank 2 of two relevant: (1/log2(3)) / (1 + 1/log2(3)).
    expect(ndcgAtK(['c', 'a'], rel, 10)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 10);
    expect(recallAtK(['c', 'a'], rel, 100)).toBe(0.5);
    expect(ndcgAtK(['a'], new Map(), 10)).toBe(0);
  });
});
