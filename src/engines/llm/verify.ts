/**
 * The verify step with a model: the claim is judged against the top passages of the OTHER included
 * papers, picked with the core's lexical ranker over their sentences (at most a few sentences from a
 * few papers, or the whole abstract when only one paper is in question). Evidence that cites a paper
 * outside the run, the claim's own paper, or a quote not found verbatim is rejected and counted; the
 * core then aligns verdict and confidence. A claim with no related passage is `insufficient` without
 * a call.
 */
import type { StageContext, VerifyInput } from '../engine.js';
import type { Evidence, Paper, Verification } from '../../model.js';
import { createLexicalRanker, type LexicalRanker } from '../../rank/lexical-ranker.js';
import { normalizeWhitespace } from '../../text/sanitize.js';
import { paperSentences } from '../../text/sentences.js';
import type { Ask } from './ask.js';
import { aliasOf, locateQuote, paperByAlias, wholeSentences } from './papers.js';
import { dataBlock, VERIFY_SYSTEM } from './prompts.js';
import type { RunState } from './run-state.js';
import { JSON_SCHEMAS, SCHEMA_NAMES, VerifyReplySchema } from './schemas.js';

/** Most papers whose passages a claim is judged against. */
export const MAX_PASSAGE_PAPERS = 4;
/** Most sentences taken from one paper when several papers are in question. */
export const MAX_SENTENCES_PER_PAPER = 3;
/** Most sentences of a paper when it is the only one in question (its whole abstract, usually). */
export const MAX_SENTENCES_SINGLE = 15;
/** Sentences retrieved before grouping by paper. */
const CANDIDATES = 80;

/** The sentences of a run's papers, indexed once per paper list. */
interface PassageIndex {
  sentences: { paper: number; position: number; text: string }[];
  ranker: LexicalRanker;
}

/** A passage block entry: one paper's chosen sentences. */
interface PassageGroup {
  id: string;
  title: string;
  sentences: string[];
}

/** Caches the passage index per list of papers (the core passes the same list for every claim). */
export function createPassageCache(): (papers: readonly Paper[]) => PassageIndex {
  const cache = new WeakMap<readonly Paper[], PassageIndex>();
  return (papers) => {
    let index = cache.get(papers);
    if (!index) {
      const sentences = papers.flatMap((paper, p) => paperSentences(paper).map((text, position) => ({ paper: p, position, text })));
      index = { sentences, ranker: createLexicalRanker(sentences.map((s) => ({ title: '', abstract: s.text }))) };
      cache.set(papers, index);
    }
    return index;
  };
}

/** Picks the passages of other papers a claim is judged against. */
export function selectPassages(input: VerifyInput, index: PassageIndex): PassageGroup[] {
  const hits = index.ranker.search(input.claim.text, CANDIDATES).filter((h) => h.score > 0);
  const byPaper = new Map<number, number[]>();
  for (const hit of hits) {
    const s = index.sentences[hit.index]!;
    if (input.papers[s.paper]!.id === input.claim.paperId) continue;
    if (!byPaper.has(s.paper) && byPaper.size >= MAX_PASSAGE_PAPERS) continue;
    const list = byPaper.get(s.paper) ?? [];
    list.push(hit.index);
    byPaper.set(s.paper, list);
  }
  const single = byPaper.size === 1;
  return [...byPaper].map(([p, hitIndexes]) => {
    const paper = input.papers[p]!;
    const sentences = single
      ? paperSentences(paper).slice(0, MAX_SENTENCES_SINGLE)
      : hitIndexes
          .slice(0, MAX_SENTENCES_PER_PAPER)
          .map((i) => index.sentences[i]!)
          .sort((a, b) => a.position - b.position)
          .map((s) => s.text);
    return { id: aliasOf(p), title: normalizeWhitespace(paper.title), sentences };
  });
}

/** Verifies one claim with the model; `fallback` is the extractive verification. */
export async function verifyWithModel(
  input: VerifyInput,
  ask: Ask,
  state: RunState,
  passages: (papers: readonly Paper[]) => PassageIndex,
  fallback: () => Promise<Verification>,
  ctx: StageContext,
): Promise<Verification> {
  if (state.stopped) return fallback();
  const groups = selectPassages(input, passages(input.papers));
  if (groups.length === 0) return { verdict: 'insufficient', confidence: 0, evidence: [] };
  const result = await ask(
    {
      step: 'verify',
      system: VERIFY_SYSTEM,
      user: `${dataBlock('question', input.question)}\n${dataBlock('claim', input.claim.text)}\n${dataBlock('passages', groups)}`,
      schemaName: SCHEMA_NAMES.verify,
      schema: VerifyReplySchema,
      jsonSchema: JSON_SCHEMAS.verify,
    },
    ctx,
  );
  if (!result.ok) return fallback();
  const reply = result.value;
  const evidence: Evidence[] = [];
  for (const item of reply.evidence) {
    const paper = paperByAlias(input.papers, item.paperId);
    if (!paper || paper.id === input.claim.paperId) {
      state.rejections.evidencePapers++;
      continue;
    }
    const located = locateQuote(item.quote, paper);
    const quote = located && wholeSentences(located, paper);
    if (!quote) {
      state.rejections.evidenceQuotes++;
      continue;
    }
    evidence.push({ paperId: paper.id, quote, stance: item.stance });
  }
  return { verdict: reply.verdict, confidence: reply.confidence, evidence };
}
