/**
 * The extract step with a model. The included papers go out in batches (one call each, run
 * concurrently); each finding must cite a paper of the run by its alias and quote it verbatim (case,
 * curly quotes and dashes aside: the paper's own text is kept, see `locateQuote`), or it is rejected
 * and counted. A batch whose call falls back is extracted by the extractive engine. The
 * findings are then picked as the extractive engine does: best first, one per paper before a second.
 */
import type { ExtractInput, StageContext } from '../engine.js';
import type { ClaimDraft } from '../../model.js';
import { cleanText } from '../../text/sanitize.js';
import { extractClaims } from '../extractive/extract.js';
import type { Ask } from './ask.js';
import { locateQuote, paperByAlias, paperForPrompt, wholeSentences } from './papers.js';
import { dataBlock, extractSystem } from './prompts.js';
import type { RunState } from './run-state.js';
import { ExtractReplySchema, JSON_SCHEMAS, SCHEMA_NAMES } from './schemas.js';

/** Papers sent in one extraction call. */
export const EXTRACT_BATCH_SIZE = 4;
/** Most claims taken from one paper. */
export const MAX_CLAIMS_PER_PAPER = 2;
/** Relevance given to claims the extractive engine found for a batch that fell back. */
const FALLBACK_RELEVANCE = 0.5;

interface Candidate extends ClaimDraft {
  relevance: number;
  rank: number;
}

/** Extracts claims with the model, batch by batch. */
export async function extractWithModel(input: ExtractInput, ask: Ask, state: RunState, ctx: StageContext): Promise<ClaimDraft[]> {
  if (state.stopped) return extractClaims(input);
  const rankOf = new Map(input.papers.map((p, i) => [p.id, i]));
  const batches: number[][] = [];
  for (let i = 0; i < input.papers.length; i += EXTRACT_BATCH_SIZE) {
    batches.push(Array.from({ length: Math.min(EXTRACT_BATCH_SIZE, input.papers.length - i) }, (_, k) => i + k));
  }
  const perBatch = Math.min(input.maxClaims, EXTRACT_BATCH_SIZE * MAX_CLAIMS_PER_PAPER);
  let fellBack = 0;
  let done = 0;
  const results = await Promise.all(
    batches.map(async (indexes): Promise<Candidate[]> => {
      const batch = indexes.map((i) => input.papers[i]!);
      const result = await ask(
        {
          step: 'extract',
          system: extractSystem(MAX_CLAIMS_PER_PAPER, perBatch),
          user: `${dataBlock('question', input.question)}\n${dataBlock('papers', indexes.map((i) => paperForPrompt(input.papers[i]!, i)))}`,
          schemaName: SCHEMA_NAMES.extract,
          schema: ExtractReplySchema,
          jsonSchema: JSON_SCHEMAS.extract,
        },
        ctx,
      );
      done++;
      ctx.emit({ type: 'stage-progress', stage: 'extract', done, total: batches.length, detail: `batch ${done} of ${batches.length}` });
      if (!result.ok) {
        fellBack++;
        return extractClaims({ ...input, papers: batch, maxClaims: perBatch }).map((c) => ({
          ...c,
          relevance: FALLBACK_RELEVANCE,
          rank: rankOf.get(c.paperId) ?? 0,
        }));
      }
      const out: Candidate[] = [];
      for (const finding of result.value.findings) {
        const paper = paperByAlias(input.papers, finding.paperId);
        if (!paper) {
          state.rejections.claimPapers++;
          continue;
        }
        const located = locateQuote(finding.quote, paper);
        const quote = located && wholeSentences(located, paper);
        if (!quote) {
          state.rejections.claimQuotes++;
          continue;
        }
        const text = asSentence(cleanText(finding.claim));
        if (!text) continue;
        out.push({ text, paperId: paper.id, quote, relevance: finding.relevance, rank: rankOf.get(paper.id) ?? 0 });
      }
      return out;
    }),
  );
  // Every batch fell back: the extractive engine picks better over all papers at once.
  if (fellBack === batches.length) return extractClaims(input);
  return pick(results.flat(), input.maxClaims);
}

/** Ends a claim with a full stop when the model left it off; empty for text that is not a sentence. */
function asSentence(text: string): string {
  if (text.split(' ').length < 4) return '';
  return /[.!?]["'”’)\]]?$/.test(text) ? text : `${text}.`;
}

/** Best first, one claim per paper before a second, no repeated text or quote. */
function pick(candidates: Candidate[], maxClaims: number): ClaimDraft[] {
  const sorted = [...candidates].sort((a, b) => b.relevance - a.relevance || a.rank - b.rank);
  const chosen: Candidate[] = [];
  const perPaper = new Map<string, number>();
  const seen = new Set<string>();
  for (const limit of [1, MAX_CLAIMS_PER_PAPER]) {
    for (const c of sorted) {
      if (chosen.length >= maxClaims) break;
      const keyText = c.text.toLowerCase();
      const keyQuote = `${c.paperId}\u0000${c.quote.toLowerCase()}`;
      if (chosen.includes(c) || (perPaper.get(c.paperId) ?? 0) >= limit || seen.has(keyText) || seen.has(keyQuote)) continue;
      chosen.push(c);
      seen.add(keyText).add(keyQuote);
      perPaper.set(c.paperId, (perPaper.get(c.paperId) ?? 0) + 1);
    }
  }
  return chosen
    .sort((a, b) => b.relevance - a.relevance || a.rank - b.rank)
    .map(({ text, paperId, quote }) => ({ text, paperId, quote }));
}
